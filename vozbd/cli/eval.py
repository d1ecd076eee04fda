"""``vozbd eval run/validate/compare/report/import-spider``: NL-to-SQL evals of the real agent."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from vozbd.cli.errors import EXIT_USAGE, cli_errors, err_console
from vozbd_core.text import format_number, format_percent

if TYPE_CHECKING:
    from evals.records import EvalRecord

eval_app = typer.Typer(
    help="NL-to-SQL evals: run a suite through the agent, score by execution, report.", no_args_is_help=True
)
console = Console(highlight=False)


def _usage_error(message: str) -> typer.Exit:
    err_console.print(f"[bold red]Erro:[/] {message}", highlight=False)
    return typer.Exit(EXIT_USAGE)


def _load_suite(path: Path) -> Any:
    from evals.suite import SuiteError, load_suite

    try:
        return load_suite(path)
    except SuiteError as error:
        err_console.print(f"[bold red]Suite inválida[/] ({len(error.problems)} problema(s)):", highlight=False)
        for problem in error.problems:
            err_console.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None


def _default_out(suite_path: Path, model: str | None) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", (model or "default").split("/")[-1]).strip("-") or "model"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("eval-runs") / f"{suite_path.stem}-{slug}-{stamp}"


@eval_app.command("run")
def run(
    suite: Path = typer.Argument(
        ..., help="Suite file (.yaml or .jsonl), e.g. evals/suites/demo.yaml", metavar="SUITE"
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help='LLM as "provider/model" (default: VOZBD_MODEL).', metavar="PROVIDER/MODEL"
    ),
    db: str | None = typer.Option(
        None, "--db", help="Run every question on this connection name or URL instead.", metavar="NAME_OR_URL"
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Only the first N (selected) questions.", metavar="N"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: eval-runs/<suite>-<model>-<time>).", metavar="DIR"
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", "-c", min=1, max=64, help="Questions answered in parallel.", metavar="N"
    ),
    tags: str | None = typer.Option(
        None, "--tags", help="Only questions with any of these tags (comma separated).", metavar="TAGS"
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --out (skips done ids)."),
    voice: bool = typer.Option(False, "--voice", help="Also ask every question by voice (TTS → STT → agent)."),
    max_rows: int = typer.Option(
        10_000, "--max-rows", min=1, help="Row cap when executing gold and predicted SQL.", metavar="N"
    ),
) -> None:
    """Run SUITE through the agent and write results.jsonl, summary.json and report.html."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from evals.report import REPORT_FILE, write_run_report
    from evals.runner import RunConfig, RunError, run_suite
    from vozbd.cli.context import load_app

    _load_suite(suite)  # report a bad suite before loading any model
    if resume and out is None:
        raise _usage_error("--resume precisa de --out apontando para a pasta da execução interrompida.")
    config = RunConfig(
        suite_path=suite,
        model=model,
        out_dir=out or _default_out(suite, model),
        db=db,
        limit=limit,
        tags=tuple(t.strip() for t in (tags or "").split(",") if t.strip()),
        concurrency=concurrency,
        resume=resume,
        voice=voice,
        max_rows=max_rows,
    )
    progress = Progress(
        TextColumn("[bold]eval[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("EX {task.fields[ex]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    state: dict[str, Any] = {"task": None, "scored": 0, "correct": 0}

    def on_start(total: int) -> None:
        state["task"] = progress.add_task("eval", total=total, ex="—")

    def on_done(record: EvalRecord) -> None:
        if record.match is not None:
            state["scored"] += 1
            state["correct"] += bool(record.match)
        ex = _fmt_ex(state["correct"] / state["scored"] if state["scored"] else None)
        progress.update(state["task"], advance=1, ex=ex)

    with cli_errors():
        try:
            with progress:
                app = load_app(model=model)
                outcome = run_suite(config, app.agents, speech=app.speech, on_start=on_start, on_done=on_done)
        except RunError as error:
            raise _usage_error(error.message) from None
        summary = write_run_report(outcome.out_dir)
    _print_summary(summary, outcome.skipped, outcome.new, outcome.wall_s)
    console.print(f"Relatório: {outcome.out_dir / REPORT_FILE}")


def _fmt_ex(value: float | None) -> str:
    return format_percent(value)


def _ms(value: float | None) -> str:
    return "—" if value is None else format_number(value, decimals=1 if isinstance(value, float) else None)


def _print_summary(summary: dict[str, Any], skipped: int, new: int, wall_s: float) -> None:
    overall = summary["overall"]
    console.print(
        f"[bold]EX {_fmt_ex(overall['ex'])}[/] ({overall['correct']}/{overall['n']}) · "
        f"SQL válido {_fmt_ex(overall['valid_rate'])} · latência p50 {_ms(overall['latency_ms']['p50'])} ms "
        f"p95 {_ms(overall['latency_ms']['p95'])} ms · {new} novas, {skipped} retomadas, "
        f"{format_number(wall_s, decimals=1)} s"
    )
    if "voice" in summary:
        tv = summary["text_vs_voice"]
        console.print(
            f"Voz: EX texto {_fmt_ex(tv['text_ex'])} · EX voz {_fmt_ex(tv['voice_ex'])} · "
            f"WER médio {summary['voice']['wer_mean']}"
        )
    table = Table("Tag", "Perguntas", "Certas", "EX")
    for tag, block in summary["by_tag"].items():
        table.add_row(tag, str(block["n"]), str(block["correct"]), _fmt_ex(block["ex"]))
    console.print(table)
    console.print("Resultados: " + ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items()))


@eval_app.command("report")
def report(run_dir: Path = typer.Argument(..., help="A `vozbd eval run` output folder.", metavar="RUN_DIR")) -> None:
    """Rewrite summary.json and report.html of a run folder from its results.jsonl."""
    from evals.report import REPORT_FILE, write_run_report
    from evals.runfiles import RESULTS_FILE

    if not (run_dir / RESULTS_FILE).is_file():
        raise _usage_error(f"{run_dir / RESULTS_FILE} não existe.")
    summary = write_run_report(run_dir)
    console.print(f"EX {_fmt_ex(summary['overall']['ex'])} · relatório: {run_dir / REPORT_FILE}")


@eval_app.command("validate")
def validate(
    suite: Path = typer.Argument(..., help="Suite file to check.", metavar="SUITE"),
    db: str | None = typer.Option(
        None, "--db", help="Check the gold SQL on this connection name or URL instead.", metavar="NAME_OR_URL"
    ),
) -> None:
    """Check a suite: it parses, and every gold SQL runs (read-only) and returns at least one row."""
    from evals.execution import eval_context, validate_suite
    from vozbd.cli.context import load_app

    loaded = _load_suite(suite)
    with cli_errors():
        result = validate_suite(loaded, eval_context(load_app().tool_ctx), db=db)
    failures = result.failures
    for check in failures:
        err_console.print(f"[red]✗[/] {check.case_id} ({check.dialect or '?'}): {check.error}", highlight=False)
    counts = ", ".join(f"{tag} {n}" for tag, n in loaded.tag_counts().items())
    console.print(f"{len(result.checks) - len(failures)}/{len(result.checks)} consultas gold OK. Tags: {counts}")
    if failures:
        raise typer.Exit(EXIT_USAGE)


@eval_app.command("compare")
def compare(
    runs: list[Path] = typer.Argument(..., help="Two or more `vozbd eval run` output folders.", metavar="RUN_DIR"),
    out: Path = typer.Option(
        Path("eval-compare.html"), "--out", help="HTML file with the comparison charts.", metavar="HTML_FILE"
    ),
) -> None:
    """Put several runs side by side: EX overall and per tag, latency (table + HTML grouped bar chart)."""
    from evals.report import is_rate, write_compare_report

    try:
        labels, rows = write_compare_report(runs, out)
    except FileNotFoundError as error:
        raise _usage_error(str(error)) from None
    table = Table("Métrica", *labels)
    for row in rows:
        metric = row[0]
        rate = is_rate(metric)
        table.add_row(metric, *[_fmt_ex(v) if rate else _ms(v) for v in row[1:]])
    console.print(table)
    console.print(f"Comparação: {out}")


@eval_app.command("import-spider")
def import_spider(
    directory: Path = typer.Argument(
        ..., help="Spider or BIRD folder (dev.json, tables.json, database/...).", metavar="DIR"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Suite file to write (default: DIR/<spider|bird>-<split>.yaml).", metavar="SUITE"
    ),
    split: str = typer.Option("dev", "--split", help="Which questions file: dev, train, ...", metavar="SPLIT"),
    questions: Path | None = typer.Option(
        None, "--questions", help="Translated questions (same shape), e.g. dev_pt.json.", metavar="JSON_FILE"
    ),
    question_field: str | None = typer.Option(
        None,
        "--question-field",
        help="Field holding the translated question (default: question_pt, question_pt_br, ... then question).",
        metavar="FIELD",
    ),
) -> None:
    """Write a vozbd suite from a Spider or BIRD benchmark folder (database paths relative to the suite)."""
    from evals.spider import ImportError_, import_benchmark

    try:
        result = import_benchmark(directory, out=out, split=split, questions=questions, question_field=question_field)
    except ImportError_ as error:
        raise _usage_error(escape(str(error))) from None
    for skipped in result.skipped[:20]:
        err_console.print(Text.assemble(("ignorada: ", "yellow"), skipped), highlight=False)
    if len(result.skipped) > 20:
        err_console.print(f"… e mais {len(result.skipped) - 20} ignoradas.", highlight=False)
    console.print(
        f"{result.written} perguntas ({result.flavor}) gravadas em {result.suite_path}; "
        f"{len(result.skipped)} ignoradas."
    )


@eval_app.command("script")
def script(
    suite: Path = typer.Argument(..., help="Suite file.", metavar="SUITE"),
    out: Path = typer.Option(
        ..., "--out", help="Script file to write (.yaml), used as --model scripted/FILE.", metavar="SCRIPT_FILE"
    ),
    kind: str = typer.Option(
        "oracle", "--kind", help="oracle: answers with the gold SQL; silent: never queries.", metavar="KIND"
    ),
    dialect: str = typer.Option("sqlite", "--dialect", help="Which gold variant the oracle uses.", metavar="DIALECT"),
) -> None:
    """Write a scripted-model script for sanity runs (oracle → EX 1.0, silent → EX 0.0)."""
    import yaml

    from evals.oracle import oracle_script, silent_script

    if kind not in ("oracle", "silent"):
        raise _usage_error("--kind deve ser oracle ou silent.")
    data = oracle_script(_load_suite(suite), dialect) if kind == "oracle" else silent_script()
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    console.print(f"Roteiro {kind} gravado em {out}: use --model scripted/{out}")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
