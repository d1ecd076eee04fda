"""Self-contained HTML reports (inline CSS, charts as base64 PNGs from matplotlib's Agg backend), rendered from
Jinja2 templates in ``evals/templates/`` with autoescaping (every suite text, SQL and answer is escaped).

``write_run_report(run_dir)`` reads ``results.jsonl`` + ``run.json``, writes ``summary.json`` and ``report.html``.
``write_compare_report(run_dirs, out)`` puts several runs side by side with a grouped bar chart per tag.
"""

from __future__ import annotations

import base64
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from evals.records import EvalRecord
from evals.runfiles import RESULTS_FILE, RUN_FILE, load_records
from evals.suite import DIFFICULTIES
from evals.summary import summarize, worst_failures
from vozbd_core.text import format_number, format_percent

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
.muted{color:#666;font-size:.85rem}img{max-width:100%}.scroll{overflow-x:auto}
"""


def _pct(value: float | None) -> str:
    return format_percent(value)


def _num(value: Any) -> str:
    """pt-BR numbers (``1.234,5``); text passes through."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_number(value, decimals=1 if isinstance(value, float) else None)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@cache
def _templates() -> Environment:
    env = Environment(loader=PackageLoader("evals", "templates"), autoescape=select_autoescape(["html"]))
    env.filters.update(pct=_pct, num=_num, tojson_text=_json_text)
    return env


def _png(fig: Any) -> Markup:
    """A matplotlib figure as an inline <img> (our own markup: safe to insert unescaped)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Markup('<img alt="chart" src="data:image/png;base64,{}">').format(
        base64.b64encode(buffer.getvalue()).decode()
    )


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ex_by_tag_chart(by_tag: dict[str, dict[str, Any]]) -> Markup | str:
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
    ax.set_title("Acurácia de execução por tag")
    for y, v in enumerate(values):
        ax.text(min(v + 1, 92), y, format_percent(v / 100, decimals=0), va="center", fontsize=8)
    return _png(fig)


def _latency_chart(records: list[EvalRecord]) -> Markup | str:
    values = [r.latency_ms / 1000 for r in records if r.latency_ms is not None]
    if not values:
        return ""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(values, bins=min(30, max(5, len(values) // 3)), color="#55a868")
    ax.set_xlabel("segundos por pergunta (turno do agente)")
    ax.set_ylabel("perguntas")
    ax.set_title("Latência")
    return _png(fig)


def render_run_html(summary: dict[str, Any], records: list[EvalRecord]) -> str:
    text_records = [r for r in records if r.mode == "text"]
    return (
        _templates()
        .get_template("run_report.html")
        .render(
            css=Markup(_CSS),
            run=summary.get("run", {}),
            overall=summary["overall"],
            voice=summary.get("voice"),
            text_vs_voice=summary.get("text_vs_voice", {}),
            tag_rows=[[t, _num(b["n"]), _num(b["correct"]), _pct(b["ex"])] for t, b in summary["by_tag"].items()],
            tag_chart=_ex_by_tag_chart(summary["by_tag"]),
            outcome_rows=[[k, _num(v)] for k, v in summary["outcomes"].items()],
            latency_chart=_latency_chart(text_records),
            failures=worst_failures(records),
        )
    )


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


def _compare_chart(labels: list[str], summaries: list[dict[str, Any]], tags: list[str]) -> Markup | str:
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
    ax.set_xticklabels(["geral", *tags], rotation=45, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("EX (%)")
    ax.set_title("Acurácia de execução por tag")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


EX_OVERALL = "EX geral"
VALID_SQL = "SQL válido"
EX_VOICE = "EX com entrada por voz"
EX_TAG_PREFIX = "EX: "


def is_rate(metric: str) -> bool:
    """Whether a ``compare_rows`` metric is a fraction (shown as a percentage)."""
    return metric in (EX_OVERALL, VALID_SQL, EX_VOICE) or metric.startswith(EX_TAG_PREFIX)


def compare_rows(summaries: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """``(tags, rows)``: one row per metric/tag, one value per run (EX as a fraction, times in ms)."""
    tags = sorted({t for s in summaries for t in s["by_tag"]}, key=lambda t: (t not in DIFFICULTIES, t))
    rows: list[list[Any]] = [
        [EX_OVERALL, *[s["overall"]["ex"] for s in summaries]],
        ["perguntas", *[s["overall"]["n"] for s in summaries]],
        [VALID_SQL, *[s["overall"]["valid_rate"] for s in summaries]],
        ["latência p50 (ms)", *[s["overall"]["latency_ms"]["p50"] for s in summaries]],
        ["latência p95 (ms)", *[s["overall"]["latency_ms"]["p95"] for s in summaries]],
        ["rejeições de SQL inseguro", *[s["overall"]["unsafe_rejections_total"] for s in summaries]],
    ]
    if any("voice" in s for s in summaries):
        rows.append([EX_VOICE, *[(s.get("voice") or {}).get("ex") for s in summaries]])
        rows.append(["WER médio", *[(s.get("voice") or {}).get("wer_mean") for s in summaries]])
    rows += [[f"{EX_TAG_PREFIX}{t}", *[(s["by_tag"].get(t) or {}).get("ex") for s in summaries]] for t in tags]
    return tags, rows


def write_compare_report(run_dirs: list[Path], out: Path) -> tuple[list[str], list[list[Any]]]:
    summaries = [load_summary(d) for d in run_dirs]
    labels = [run_label(s, d) for s, d in zip(summaries, run_dirs, strict=True)]
    tags, rows = compare_rows(summaries)

    def cell(metric: str, value: Any) -> str:
        return _pct(value) if is_rate(metric) else _num(value)

    page = (
        _templates()
        .get_template("compare_report.html")
        .render(
            css=Markup(_CSS),
            labels=labels,
            rows=[[r[0], *[cell(r[0], v) for v in r[1:]]] for r in rows],
            chart=_compare_chart(labels, summaries, tags),
        )
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return labels, rows
