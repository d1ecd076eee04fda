"""`vozbd models install|status`: the offline speech models (and, via the agent, LLM provider status)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.filesize import decimal
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from vozbd.cli.speech import speech_errors

if TYPE_CHECKING:
    from vozbd.wiring import App

models_app = typer.Typer(
    help="Every model vozbd uses: LLM providers (list, the default), offline speech models (install, status).",
    invoke_without_command=True,
)
console = Console()


def _app() -> App:
    from vozbd.cli.context import load_app

    return load_app()


@models_app.command("install")
def install() -> None:
    """Assemble and verify every default speech model into the models dir (idempotent, offline)."""
    from agent.speech import models

    models_dir = _app().paths.models_dir
    with (
        speech_errors(),
        Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[amount]}")) as bars,
    ):
        tasks: dict[str, TaskID] = {}

        def progress(name: str, done: int, total: int) -> None:
            # Folders (the voices) report files, not bytes.
            amount = f"{done}/{total} arquivos" if name.endswith("voices") else f"{decimal(done)}/{decimal(total)}"
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total, amount=amount)
            bars.update(tasks[name], completed=done, total=total, amount=amount)

        results = models.install(models_dir, progress=progress)
    for result in results:
        style = {"installed": "green", "skipped": "dim", "unavailable": "yellow"}[result.action]
        label = {"installed": "instalado", "skipped": "ok (já presente)", "unavailable": "indisponível"}[result.action]
        console.print(f"[{style}]{label:>17}[/] {result.relpath} {escape(result.reason)}", highlight=False)
    console.print(f"Modelos em: {models_dir}", highlight=False)


def _llm_status(app: App) -> list[dict[str, object]] | str:
    try:
        from agent.llm.registry import provider_statuses
    except ImportError as error:
        return f"LLM provider status unavailable ({error})"
    return [status.to_dict() for status in provider_statuses(app.llm, check=True)]


def status_report(app: App) -> dict[str, Any]:
    from agent.speech import models

    models_dir = app.paths.models_dir
    files = [
        {
            "model": name,
            "file": f.relpath,
            "path": str(f.path),
            "present": f.present,
            "size": f.size,
            "checksum_ok": f.checksum_ok,
        }
        for name, statuses in models.status(models_dir).items()
        for f in statuses
    ]
    engines = app.speech.available()
    return {
        "models_dir": str(models_dir),
        "files": files,
        "engines": {name: {"available": reason is None, "reason": reason} for name, reason in engines.items()},
        "llm_providers": _llm_status(app),
    }


@models_app.command("status")
def status(json_output: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """What is installed, where, sizes, checksums; which TTS engines and LLM providers are usable."""
    with speech_errors(json_output):
        report = status_report(_app())
    if json_output:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"Modelos de voz em {report['models_dir']}")
    for column in ("modelo", "arquivo", "tamanho", "checksum"):
        table.add_column(column)
    for row in report["files"]:
        check = {True: "[green]ok[/]", False: "[red]CORROMPIDO[/]", None: "[yellow]ausente[/]"}[row["checksum_ok"]]
        table.add_row(row["model"], row["file"], f"{row['size'] / 1048576:.1f} MB", check)
    console.print(table)
    for name, engine in report["engines"].items():
        reason = escape(str(engine["reason"]))
        mark = "[green]disponível[/]" if engine["available"] else f"[yellow]indisponível[/] ({reason})"
        console.print(f"TTS {name}: {mark}", highlight=False)
    providers = report["llm_providers"]
    if isinstance(providers, str):
        console.print(escape(providers), highlight=False)
    else:
        for p in providers:
            state = "configurado" if p["configured"] else "não configurado"
            reach = {True: ", acessível", False: ", inacessível", None: ""}[p["reachable"]]
            console.print(f"LLM {p['name']}: {state}{reach} {escape(str(p['detail']))}", highlight=False)


@models_app.callback()
def models_default(ctx: typer.Context) -> None:
    """With no subcommand, `vozbd models` lists the LLM providers (same as `vozbd models list`)."""
    if ctx.invoked_subcommand is None:
        from vozbd.cli.llm import models_list

        models_list(json_output=False)


def register(app: typer.Typer) -> None:
    from vozbd.cli.llm import add_llm_commands

    add_llm_commands(models_app)
    app.add_typer(models_app, name="models")
