"""End to end: `vozbd eval run` (CliRunner) with a scripted model on the demo SQLite gives the exact EX.

10 questions; the scripted model answers 7 correctly (one after a failed first query, one with its columns
in another order), 2 wrongly and 1 with an unsafe DELETE that safe-query rejects -> EX = 7/10.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vozbd.cli.app import app

SUITE = {
    "name": "e2e",
    "db": "demo",
    "reference_date": "2026-06-30",
    "cases": [
        {"id": "c01", "question": "Quantos clientes temos cadastrados?", "gold_sql": "SELECT COUNT(*) FROM clientes",
         "tags": ["easy", "clientes"]},
        {"id": "c02", "question": "Quantos clientes de SP a gente tem?",
         "gold_sql": "SELECT COUNT(*) FROM clientes WHERE uf = 'SP'", "tags": ["easy", "clientes"]},
        {"id": "c03", "question": "Quantos pedidos foram cancelados?",
         "gold_sql": "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'", "tags": ["easy", "pedidos"]},
        {"id": "c04", "question": "Me mostra quantos clientes temos por estado.",
         "gold_sql": "SELECT uf, COUNT(*) FROM clientes GROUP BY uf", "tags": ["medium", "clientes"]},
        {"id": "c05", "question": "Qual é o produto mais caro da loja?",
         "gold_sql": "SELECT nome, preco FROM produtos ORDER BY preco DESC, id LIMIT 1", "tags": ["easy", "produtos"]},
        {"id": "c06", "question": "Quantos pedidos temos em cada status?",
         "gold_sql": "SELECT status, COUNT(*) FROM pedidos GROUP BY status", "tags": ["easy", "pedidos"]},
        {"id": "c07", "question": "Quantas entregas foram extraviadas?",
         "gold_sql": "SELECT COUNT(*) FROM entregas WHERE status = 'extraviada'", "tags": ["easy", "entregas"]},
        {"id": "c08", "question": "Quantos pagamentos foram recusados?",
         "gold_sql": "SELECT COUNT(*) FROM pagamentos WHERE status = 'recusado'", "tags": ["easy", "pagamentos"]},
        {"id": "c09", "question": "Quais são os 5 estados com mais clientes?",
         "gold_sql": "SELECT uf, COUNT(*) AS total FROM clientes GROUP BY uf ORDER BY total DESC, uf LIMIT 5",
         "tags": ["medium", "clientes"]},
        {"id": "c10", "question": "Quantos produtos inativos existem?",
         "gold_sql": "SELECT COUNT(*) FROM produtos WHERE ativo = FALSE", "tags": ["easy", "produtos"]},
    ],
}  # fmt: skip


def _sql(statement: str) -> dict:
    return {"tool_calls": [{"name": "run_query", "args": {"sql": statement}}]}


DONE = {"content": "Resultado: {last_result_first_value}."}
SCRIPT = {
    "rules": [
        {"match": "quantos clientes temos cadastrados", "responses": [_sql("SELECT COUNT(*) FROM clientes"), DONE]},
        {"match": "clientes de sp", "responses": [_sql("SELECT COUNT(id) AS n FROM clientes WHERE uf = 'SP'"), DONE]},
        {
            "match": "cancelados",
            "responses": [
                _sql("SELECT COUNT(*) FROM pedido WHERE status = 'cancelado'"),  # no such table -> DB error
                _sql("SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'"),
                DONE,
            ],
        },
        # columns in the other order: still correct
        {"match": "por estado", "responses": [_sql("SELECT COUNT(*) AS n, uf FROM clientes GROUP BY uf"), DONE]},
        {
            "match": "mais caro",
            "responses": [_sql("SELECT nome, preco FROM produtos ORDER BY preco DESC LIMIT 1"), DONE],
        },
        {"match": "cada status", "responses": [_sql("SELECT status, COUNT(*) FROM pedidos GROUP BY status"), DONE]},
        {"match": "extraviadas", "responses": [_sql("SELECT COUNT(*) FROM entregas WHERE status='extraviada'"), DONE]},
        # wrong: the model counts the approved ones
        {"match": "recusados", "responses": [_sql("SELECT COUNT(*) FROM pagamentos WHERE status = 'aprovado'"), DONE]},
        # wrong: ascending order gives other states
        {
            "match": "5 estados",
            "responses": [_sql("SELECT uf, COUNT(*) AS t FROM clientes GROUP BY uf ORDER BY t ASC, uf LIMIT 5"), DONE],
        },
        # unsafe: rejected by safe-query, never executed
        {
            "match": "inativos",
            "responses": [_sql("DELETE FROM produtos WHERE ativo = FALSE"), {"content": "Não posso fazer isso."}],
        },
    ],
    "default": [{"content": "Não sei."}],
}


@pytest.fixture
def eval_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    suite = tmp_path / "e2e.yaml"
    suite.write_text(yaml.safe_dump(SUITE, allow_unicode=True, sort_keys=False), encoding="utf-8")
    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump(SCRIPT, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {"suite": suite, "script": script, "out": tmp_path / "run"}


def _run(env: dict[str, Path], *extra: str):
    args = ["eval", "run", str(env["suite"]), "--model", f"scripted/{env['script']}", "--out", str(env["out"])]
    return CliRunner().invoke(app, [*args, *extra])


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_eval_run_gives_the_exact_ex_and_writes_every_artifact(eval_env: dict[str, Path]) -> None:
    result = _run(eval_env, "--concurrency", "3")
    assert result.exit_code == 0, result.output
    out = eval_env["out"]

    records = {r["id"]: r for r in _records(out)}
    assert sorted(records) == [f"c{i:02d}" for i in range(1, 11)]
    assert {k for k, r in records.items() if r["match"]} == {"c01", "c02", "c03", "c04", "c05", "c06", "c07"}
    assert records["c03"]["sql_retries"] == 1 and records["c03"]["sql_errors"] == 1
    assert records["c03"]["pred_sql"] == "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'"
    assert records["c04"]["match"] is True and records["c04"]["pred_sql"].startswith("SELECT COUNT(*) AS n, uf")
    assert records["c05"]["ordered"] is True
    assert records["c08"]["outcome"] == "wrong_values"
    assert records["c09"]["match"] is False
    assert records["c10"]["outcome"] == "unsafe_rejected" and records["c10"]["unsafe_rejections"] == 1
    assert records["c10"]["pred_sql"] is None and records["c10"]["valid"] is False
    assert "2026-06-30" in records["c01"]["sent_question"]
    assert all(r["tokens_in"] and r["latency_ms"] is not None and r["steps"] >= 1 for r in records.values())

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["overall"]["n"] == 10 and summary["overall"]["correct"] == 7
    assert summary["overall"]["ex"] == 0.7
    assert summary["by_tag"]["clientes"] == {"n": 4, "correct": 3, "ex": 0.75}
    assert summary["by_difficulty"]["medium"]["ex"] == 0.5
    assert summary["outcomes"] == {"correct": 7, "wrong_values": 2, "unsafe_rejected": 1}
    assert summary["overall"]["unsafe_rejections_total"] == 1
    assert summary["overall"]["latency_ms"]["p50"] is not None
    assert summary["run"]["model"] == f"scripted/{eval_env['script']}"

    report = (out / "report.html").read_text(encoding="utf-8")
    assert "70,0%" in report and "data:image/png;base64," in report
    assert "DELETE FROM produtos" not in report  # unsafe statements are not the prediction
    assert "status = &#39;aprovado&#39;" in report  # a worst failure, predicted vs gold (escaped by Jinja2)
    assert "EX 70,0%" in result.output


def test_resume_skips_done_questions(eval_env: dict[str, Path]) -> None:
    first = _run(eval_env, "--limit", "4")
    assert first.exit_code == 0, first.output
    before = (eval_env["out"] / "results.jsonl").read_text(encoding="utf-8")
    assert len(before.splitlines()) == 4

    again = _run(eval_env)  # without --resume an existing run is not overwritten
    assert again.exit_code == 2
    assert "--resume" in again.output

    # an interrupted write leaves half a line: it is dropped and that question re-asked
    with (eval_env["out"] / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "c05", "mo')
    resumed = _run(eval_env, "--resume")
    assert resumed.exit_code == 0, resumed.output
    after = (eval_env["out"] / "results.jsonl").read_text(encoding="utf-8")
    assert after.startswith(before)
    ids = [r["id"] for r in _records(eval_env["out"])]
    assert sorted(ids) == [f"c{i:02d}" for i in range(1, 11)] and len(ids) == 10
    summary = json.loads((eval_env["out"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["overall"]["ex"] == 0.7


def test_missing_model_gives_guidance_and_exit_2(eval_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VOZBD_MODEL", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOZBD_OLLAMA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VOZBD_OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9/v1")
    args = ["eval", "run", str(eval_env["suite"]), "--out", str(eval_env["out"])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "VOZBD_MODEL" in result.output and "No LLM configured" in result.output
    unknown = CliRunner().invoke(app, [*args, "--model", "nope/model"])
    assert unknown.exit_code == 2 and "nope" in unknown.output


def test_bad_suite_exits_2_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("db: demo\ncases:\n  - id: a\n    question: sem gold\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "run", str(bad), "--model", "scripted/x.yaml"])
    assert result.exit_code == 2
    assert "bad.yaml:3 (id a): gold_sql: Field required" in result.output
    assert CliRunner().invoke(app, ["eval", "validate", str(bad)]).exit_code == 2


@pytest.mark.parametrize(("fixture", "dialect"), [("demo_pg_url", "postgres"), ("demo_mysql_url", "mysql")])
def test_oracle_run_on_server_database_with_db_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, fixture: str, dialect: str
) -> None:
    """`--db URL` runs the bundled suite's questions on another load; the gold variant of its dialect is used."""
    url = request.getfixturevalue(fixture)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    suite = Path(__file__).resolve().parents[2] / "evals" / "suites" / "demo.yaml"
    script = tmp_path / "oracle.yaml"
    made = CliRunner().invoke(app, ["eval", "script", str(suite), "--dialect", dialect, "--out", str(script)])
    assert made.exit_code == 0, made.output
    out = tmp_path / "run"
    args = ["eval", "run", str(suite), "--model", f"scripted/{script}", "--db", url, "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--tags", "hard", "--limit", "12"])
    assert result.exit_code == 0, result.output
    records = _records(out)
    assert len(records) == 12 and all(r["dialect"] == dialect for r in records)
    assert any(r["id"] == "pedidos_por_mes_2026" for r in records)  # a per-dialect gold
    assert all(r["match"] for r in records), [r["id"] for r in records if not r["match"]]


def test_voice_without_speech_models_exits_2(eval_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(eval_env["out"].parent / "no-models"))
    result = _run(eval_env, "--voice", "--limit", "1")
    assert result.exit_code == 2
    assert "vozbd models install" in result.output
    assert not eval_env["out"].exists()
