"""Summaries, the run report and `vozbd eval compare` on crafted results files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.records import EvalRecord
from evals.report import write_run_report
from evals.runfiles import load_records
from evals.runner import predicted_sql, question_text
from evals.suite import EvalCase
from evals.summary import percentile, summarize, worst_failures
from vozbd.cli.app import app


def record(case_id: str, match: bool | None, tags: list[str], latency: float, **extra) -> dict:
    difficulty = next((t for t in tags if t in ("easy", "medium", "hard", "extra")), None)
    outcome = "correct" if match else ("gold_error" if match is None else "wrong_values")
    return {
        "id": case_id, "mode": "text", "question": f"pergunta {case_id}?", "tags": tags, "difficulty": difficulty,
        "match": match, "valid": match is not None, "outcome": outcome, "latency_ms": latency, "llm_ms": latency / 2,
        "steps": 2, "tool_calls": 1, "sql_retries": 0, "unsafe_rejections": 0, "tokens_in": 100, "tokens_out": 10,
        "pred_sql": "SELECT 1", "gold_sql": "SELECT 2", "pred_preview": [[1]], "gold_preview": [[2]],
    } | extra  # fmt: skip


RECORDS = [
    record("a", True, ["easy", "clientes"], 100),
    record("b", True, ["easy", "pedidos"], 200),
    record("c", False, ["hard", "pedidos"], 300, pred_sql="SELECT <script>"),
    record("d", False, ["easy", "clientes"], 400),
    record("e", None, ["medium"], 500),
]


def typed(records: list[dict]) -> list[EvalRecord]:
    return [EvalRecord.model_validate(r) for r in records]


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([10], 95) == 10
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([100, 200, 300, 400], 95) == pytest.approx(385)


def test_summarize_counts_and_excludes_gold_errors() -> None:
    summary = summarize(typed(RECORDS), {"model": "m"})
    assert summary["overall"]["n"] == 4 and summary["overall"]["correct"] == 2 and summary["overall"]["ex"] == 0.5
    assert summary["by_tag"]["clientes"] == {"n": 2, "correct": 1, "ex": 0.5}
    assert summary["by_tag"]["medium"] == {"n": 0, "correct": 0, "ex": None}
    assert list(summary["by_tag"])[:3] == ["easy", "hard", "medium"]  # difficulties first
    assert summary["by_difficulty"]["easy"]["ex"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["gold_errors"] == ["e"]
    assert summary["outcomes"] == {"wrong_values": 2, "correct": 2, "gold_error": 1}
    assert summary["overall"]["latency_ms"]["p50"] == 300
    assert "voice" not in summary
    assert [r.id for r in worst_failures(typed(RECORDS))] == ["d", "c"]  # easy first


def test_summarize_voice_block() -> None:
    voice = [dict(r, mode="voice", wer=w) for r, w in zip(RECORDS[:2], (0.0, 0.5), strict=True)]
    voice[1]["match"] = False
    summary = summarize(typed(RECORDS + voice))
    assert summary["overall"]["n"] == 4  # text rows only
    assert summary["text_vs_voice"] == {"text_ex": 0.5, "voice_ex": 0.5}
    assert summary["voice"]["wer_mean"] == 0.25


def test_question_text_and_predicted_sql() -> None:
    case = EvalCase(id="x", question="Quantos?", gold_sql="SELECT 1", reference_date="2026-06-30", evidence="dica")
    expected = 'Quantos?\n\n(Contexto: a data de referência ("hoje") para datas relativas é 2026-06-30. Dica: dica)'
    assert question_text(case) == expected
    assert question_text(EvalCase(id="y", question="Q?", gold_sql="SELECT 1")) == "Q?"
    runs = [
        {"statement": "SELECT a", "error_code": None},
        {"statement": "SELECT b", "error_code": None},
        {"statement": "DELETE FROM t", "error_code": "unsafe_query"},
    ]
    assert predicted_sql(runs) == "SELECT b"
    assert predicted_sql(runs[2:]) is None and predicted_sql([]) is None


def _run_dir(tmp_path: Path, name: str, records: list[dict], model: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({"model": model, "suite_name": "demo"}), encoding="utf-8")
    return folder


def test_run_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    folder = _run_dir(tmp_path, "r1", RECORDS, "m/one")
    summary = write_run_report(folder)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert json.loads((folder / "summary.json").read_text(encoding="utf-8")) == summary
    assert "50,0%" in html and "data:image/png;base64," in html
    assert "<script" not in html and "SELECT &lt;script&gt;" in html
    assert 'src="http' not in html and 'href="http' not in html  # nothing fetched from elsewhere


def test_cli_compare_two_runs(tmp_path: Path) -> None:
    one = _run_dir(tmp_path, "r1", RECORDS, "m/one")
    better = [dict(r, match=True, outcome="correct") if r["match"] is False else r for r in RECORDS]
    two = _run_dir(tmp_path, "r2", better, "m/two")
    for folder in (one, two):
        write_run_report(folder)
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(app, ["eval", "compare", str(one), str(two), "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "EX geral" in result.output and "50,0%" in result.output and "100,0%" in result.output
    assert "EX: clientes" in result.output
    html = out.read_text(encoding="utf-8")
    assert "r1 (m/one)" in html and "r2 (m/two)" in html and "data:image/png;base64," in html

    missing = CliRunner().invoke(app, ["eval", "compare", str(one), str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "summary.json" in missing.output


def test_cli_report_rewrites_from_results(tmp_path: Path) -> None:
    folder = _run_dir(tmp_path, "r1", RECORDS, "m/one")
    result = CliRunner().invoke(app, ["eval", "report", str(folder)])
    assert result.exit_code == 0 and "EX 50,0%" in result.output
    assert (folder / "report.html").is_file()


ENGLISH = ("Execution accuracy", "Overview", "Worst failures", "Outcomes", "Latency", "Predicted", "Metric",
           "questions", "rows (first", "Answer:", "Detail:", "started", "(no SQL)", 'lang="en"')  # fmt: skip


def test_reports_are_in_pt_br(tmp_path: Path) -> None:
    one = _run_dir(tmp_path, "r1", RECORDS, "m/one")
    two = _run_dir(tmp_path, "r2", RECORDS, "m/two")
    for folder in (one, two):
        write_run_report(folder)
    out = tmp_path / "cmp.html"
    assert CliRunner().invoke(app, ["eval", "compare", str(one), str(two), "--out", str(out)]).exit_code == 0
    for html in ((one / "report.html").read_text(encoding="utf-8"), out.read_text(encoding="utf-8")):
        assert 'lang="pt-BR"' in html
        assert not [word for word in ENGLISH if word in html]
    run_html = (one / "report.html").read_text(encoding="utf-8")
    assert "Piores falhas" in run_html and "acurácia de execução" in run_html and "50,0%" in run_html


def test_records_round_trip_and_bad_lines_are_dropped(tmp_path: Path) -> None:
    folder = _run_dir(tmp_path, "r1", RECORDS, "m/one")
    results = folder / "results.jsonl"
    with results.open("a", encoding="utf-8") as out:
        out.write('{"id": 7, "mode": "text", "match": true, "unknown_key": 1}\n')  # older/extra keys: fine
        out.write('{"mode": "text"}\n')  # no id: not a record
        out.write('{"id": "x", "mode": "speech"}\n')  # unknown mode: not a record
        out.write('{"id": "half", "mo')  # interrupted write
    loaded = load_records(results)
    assert [r.id for r in loaded] == ["a", "b", "c", "d", "e", "7"]
    assert loaded[2].pred_sql == "SELECT <script>" and loaded[0].pred_preview == [[1]]
    assert EvalRecord.model_validate_json(loaded[0].to_json_line()) == loaded[0]
