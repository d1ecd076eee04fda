"""Self-contained HTML reports (inline CSS, charts as base64 PNGs from matplotlib's Agg backend).

``write_run_report(run_dir)`` reads ``results.jsonl`` + ``run.json``, writes ``summary.json`` and ``report.html``.
``write_compare_report(run_dirs, out)`` puts several runs side by side with a grouped bar chart per tag.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from evals.runfiles import RESULTS_FILE, RUN_FILE, load_records
from evals.suite import DIFFICULTIES
from evals.summary import summarize, worst_failures

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}
.big{font-size:2.2rem;font-weight:700}.ok{color:#1a7f37}.bad{color:#cf222e}
pre{background:#f6f8fa;padding:.5rem;white-space:pre-wrap;margin:0;font-size:.8rem;max-width:480px}
.case{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.muted{color:#666;font-size:.85rem}img{max-width:100%}
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else _esc(value)


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return '<img alt="chart" src="data:image/png;base64,' + base64.b64encode(buffer.getvalue()).decode() + '">'


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ex_by_tag_chart(by_tag: dict[str, dict[str, Any]]) -> str:
    items = [(f"{tag} ({block['n']})", block["ex"]) for tag, block in by_tag.items() if block["ex"] is not None]
    if not items:
        return ""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(items) + 1.2))
    names = [t for t, _ in items][::-1]
    values = [100 * v for _, v in items][::-1]
    ax.barh(names, values, color="#4c72b0")
    ax.set_xlim(0, 100)
    ax.set_xlabel("EX (%)")
    ax.set_title("Execution accuracy by tag")
    for y, v in enumerate(values):
        ax.text(min(v + 1, 92), y, f"{v:.0f}%", va="center", fontsize=8)
    return _png(fig)


def _latency_chart(records: list[dict[str, Any]]) -> str:
    values = [r["latency_ms"] / 1000 for r in records if r.get("latency_ms") is not None]
    if not values:
        return ""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(values, bins=min(30, max(5, len(values) // 3)), color="#55a868")
    ax.set_xlabel("seconds per question (agent turn)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    return _png(fig)


def _table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _rows_html(preview: list[list[Any]] | None, count: int | None) -> str:
    if preview is None:
        return "<span class='muted'>—</span>"
    rows = json.dumps(preview, ensure_ascii=False)
    return f"<pre>{_esc(rows)}</pre><span class='muted'>{_num(count)} rows (first 5 shown)</span>"


def _failure_html(record: dict[str, Any]) -> str:
    voice = ""
    if record.get("transcript") is not None:
        voice = f"<p class='muted'>Transcript (WER {record.get('wer')}): {_esc(record['transcript'])}</p>"
    detail = record.get("pred_error") or record.get("reason")
    tags = ", ".join(record.get("tags") or [])
    return (
        f"<div class='case'><b>{_esc(record['id'])}</b> <span class='muted'>[{_esc(tags)}]"
        f" — {_esc(record.get('outcome'))}</span><p>{_esc(record['question'])}</p>{voice}"
        + _table(
            [
                [
                    f"<pre>{_esc(record.get('pred_sql') or '(no SQL)')}</pre>",
                    f"<pre>{_esc(record.get('gold_sql'))}</pre>",
                ],
                [
                    _rows_html(record.get("pred_preview"), record.get("pred_rows")),
                    _rows_html(record.get("gold_preview"), record.get("gold_rows")),
                ],
            ],
            ["Predicted", "Gold"],
        )
        + f"<p class='muted'>Answer: {_esc(record.get('answer'))}<br>Detail: {_esc(detail)}</p></div>"
    )


def render_run_html(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    run = summary.get("run", {})
    overall = summary["overall"]
    text_records = [r for r in records if r.get("mode", "text") == "text"]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>vozbd eval — {_esc(run.get('suite_name'))}"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>vozbd eval: {_esc(run.get('suite_name'))} × {_esc(run.get('model'))}</h1>",
        f"<p class='muted'>Suite {_esc(run.get('suite'))} · db override {_esc(run.get('db') or '—')} · "
        f"started {_esc(run.get('started_at'))} · finished {_esc(run.get('finished_at'))}</p>",
        f"<p><span class='big'>{_pct(overall['ex'])}</span> execution accuracy "
        f"({overall['correct']}/{overall['n']} questions)</p>",
        "<h2>Overview</h2>",
        _table(
            [
                ["Valid SQL (prediction ran)", _pct(overall["valid_rate"])],
                [
                    "Latency p50 / p95",
                    f"{_num(overall['latency_ms']['p50'])} / {_num(overall['latency_ms']['p95'])} ms",
                ],
                ["LLM time p50 / p95", f"{_num(overall['llm_ms']['p50'])} / {_num(overall['llm_ms']['p95'])} ms"],
                ["Mean steps / tool calls", f"{_num(overall['steps_mean'])} / {_num(overall['tool_calls_mean'])}"],
                ["SQL retries (total)", _num(overall["sql_retries_total"])],
                ["Unsafe SQL rejections (total)", _num(overall["unsafe_rejections_total"])],
                ["Tokens in / out", f"{_num(overall['tokens_in_total'])} / {_num(overall['tokens_out_total'])}"],
                ["Results truncated by the row cap", _num(overall["truncated"])],
            ],
            ["Metric", "Value"],
        ),
    ]
    if "voice" in summary:
        voice = summary["voice"]
        parts += [
            "<h2>Voice input</h2>",
            _table(
                [
                    ["EX, text input", _pct(summary["text_vs_voice"]["text_ex"])],
                    ["EX, voice input (TTS → STT → agent)", _pct(summary["text_vs_voice"]["voice_ex"])],
                    ["Transcript WER mean / p95", f"{_num(voice['wer_mean'])} / {_num(voice['wer_p95'])}"],
                    ["TTS / STT p50", f"{_num(voice['tts_ms_p50'])} / {_num(voice['stt_ms_p50'])} ms"],
                ],
                ["Metric", "Value"],
            ),
        ]
    parts += [
        "<h2>EX by difficulty and tag</h2>",
        _table(
            [[_esc(t), _num(b["n"]), _num(b["correct"]), _pct(b["ex"])] for t, b in summary["by_tag"].items()],
            ["Tag", "Questions", "Correct", "EX"],
        ),
        _ex_by_tag_chart(summary["by_tag"]),
        "<h2>Outcomes</h2>",
        _table([[_esc(k), _num(v)] for k, v in summary["outcomes"].items()], ["Outcome", "Questions"]),
        "<p class='muted'>correct = same result as the gold; wrong_* = ran but differs (column_count, row_count, "
        "values, order); sql_error / unsafe_rejected / no_sql = no successful query in the turn; "
        "pred_error = the predicted SQL failed when re-executed; gold_error = the gold SQL failed (not scored).</p>",
        _latency_chart(text_records),
        "<h2>Worst failures</h2><p class='muted'>Easiest questions first.</p>",
        *[_failure_html(r) for r in worst_failures(records)],
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_run_report(run_dir: str | Path) -> dict[str, Any]:
    """(Re)write ``summary.json`` and ``report.html`` of a run folder; returns the summary."""
    run_dir = Path(run_dir)
    records = load_records(run_dir / RESULTS_FILE)
    meta_file = run_dir / RUN_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    summary = summarize(records, meta)
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (run_dir / REPORT_FILE).write_text(render_run_html(summary, records), encoding="utf-8")
    return summary


def load_summary(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / SUMMARY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no summary.json (is this a `vozbd eval run` output folder?)")
    return json.loads(path.read_text(encoding="utf-8"))


def run_label(summary: dict[str, Any], run_dir: Path) -> str:
    run = summary.get("run", {})
    return f"{run_dir.name} ({run.get('model', '?')})"


def _compare_chart(labels: list[str], summaries: list[dict[str, Any]], tags: list[str]) -> str:
    if not tags:
        return ""
    plt = _pyplot()
    width = 0.8 / len(summaries)
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(tags) * len(summaries) + 2), 4))
    for i, (label, summary) in enumerate(zip(labels, summaries, strict=True)):
        values = [100 * ((summary["by_tag"].get(t) or {}).get("ex") or 0) for t in tags]
        overall = 100 * (summary["overall"]["ex"] or 0)
        positions = [x + i * width for x in range(len(tags) + 1)]
        ax.bar(positions, [overall, *values], width=width, label=label)
    ax.set_xticks([x + width * (len(summaries) - 1) / 2 for x in range(len(tags) + 1)])
    ax.set_xticklabels(["overall", *tags], rotation=45, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("EX (%)")
    ax.set_title("Execution accuracy per tag")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def compare_rows(summaries: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """``(tags, rows)``: one row per metric/tag, one value per run (EX as a fraction, times in ms)."""
    tags = sorted({t for s in summaries for t in s["by_tag"]}, key=lambda t: (t not in DIFFICULTIES, t))
    rows: list[list[Any]] = [
        ["EX overall", *[s["overall"]["ex"] for s in summaries]],
        ["questions", *[s["overall"]["n"] for s in summaries]],
        ["valid SQL", *[s["overall"]["valid_rate"] for s in summaries]],
        ["latency p50 (ms)", *[s["overall"]["latency_ms"]["p50"] for s in summaries]],
        ["latency p95 (ms)", *[s["overall"]["latency_ms"]["p95"] for s in summaries]],
        ["unsafe rejections", *[s["overall"]["unsafe_rejections_total"] for s in summaries]],
    ]
    if any("voice" in s for s in summaries):
        rows.append(["EX voice input", *[(s.get("voice") or {}).get("ex") for s in summaries]])
        rows.append(["WER mean", *[(s.get("voice") or {}).get("wer_mean") for s in summaries]])
    rows += [[f"EX: {t}", *[(s["by_tag"].get(t) or {}).get("ex") for s in summaries]] for t in tags]
    return tags, rows


def write_compare_report(run_dirs: list[Path], out: Path) -> tuple[list[str], list[list[Any]]]:
    summaries = [load_summary(d) for d in run_dirs]
    labels = [run_label(s, d) for s, d in zip(summaries, run_dirs, strict=True)]
    tags, rows = compare_rows(summaries)

    def cell(metric: str, value: Any) -> str:
        return _pct(value) if metric.startswith(("EX", "valid")) else _num(value)

    table = _table([[_esc(r[0]), *[cell(r[0], v) for v in r[1:]]] for r in rows], ["Metric", *map(_esc, labels)])
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>vozbd eval comparison</title>"
        f"<style>{_CSS}</style></head><body><h1>vozbd eval comparison</h1>{table}"
        f"{_compare_chart(labels, summaries, tags)}</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return labels, rows
