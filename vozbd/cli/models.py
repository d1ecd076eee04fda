"""`vozbd models install|status`: the offline speech models (and, via the agent, LLM provider status)."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.filesize import decimal
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from vozbd.cli.errors import EXIT_ERROR, EXIT_USAGE, err_console
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
def install(
    stt: str | None = typer.Option(
        None,
        "--stt",
        help="Download a bigger Whisper model from the model hub (needs internet): "
        "small, medium, large-v3-turbo or medium-pt (a Portuguese fine-tune); verified, then selected. "
        "Only that model: run plain `vozbd models install` first for the defaults.",
        metavar="NAME",
    ),
    select: bool = typer.Option(True, "--select/--no-select", help="With --stt: make it the STT model (config file)."),
) -> None:
    """Assemble and verify every default speech model into the models dir (idempotent, offline); with --stt,
    download that speech-to-text model instead, through huggingface_hub (HF_ENDPOINT picks a mirror)."""
    from agent.speech import models

    app = _app()
    models_dir = app.paths.models_dir
    if stt is not None:
        _check_stt_name(stt)
        _install_stt(app, stt, select)
        return
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


def _check_stt_name(name: str) -> None:
    from agent.speech.download import STT_MODELS

    if name not in STT_MODELS:
        err_console.print(f"Modelo '{escape(name)}' desconhecido para --stt. Opções: {', '.join(STT_MODELS)}.")
        raise typer.Exit(EXIT_USAGE)


def _install_stt(app: App, name: str, select: bool) -> None:
    from agent.speech.download import install_stt_model, model_dir_name

    with speech_errors():
        folder = install_stt_model(
            name, app.paths.models_dir, announce=lambda line: console.print(line, highlight=False)
        )
    console.print(f"[green]{'verificado':>17}[/] {folder}", highlight=False)
    if not select:
        console.print(f"Para usar: VOZBD_STT_MODEL={model_dir_name(name)}", highlight=False)
        return
    config_path = app.settings.config_path
    try:
        set_config_value(config_path, "stt_model", model_dir_name(name))
    except (ValueError, OSError) as error:  # tomllib.TOMLDecodeError is a ValueError
        err_console.print(
            f"Modelo baixado, mas não consegui selecioná-lo em {config_path} ({escape(str(error))}). "
            f"Defina VOZBD_STT_MODEL={model_dir_name(name)}."
        )
        raise typer.Exit(EXIT_ERROR) from None
    console.print(f"Modelo de transcrição selecionado: {model_dir_name(name)} (em {config_path})", highlight=False)
    from vozbd.wiring import load_settings

    in_effect = load_settings().stt_model
    if in_effect != model_dir_name(name):
        err_console.print(
            f"[yellow]Atenção:[/] VOZBD_STT_MODEL={escape(in_effect)} (variável de ambiente ou .env) tem prioridade "
            "sobre o arquivo de configuração."
        )


_TOP_LEVEL_KEY = r"^{key}\s*=.*$"


def set_config_value(path: Path, key: str, value: str) -> None:
    """Set a top-level string ``key`` in the TOML file at ``path`` (created if absent), keeping everything else.

    Written by hand (a line edit checked by re-parsing) because no TOML writer is among our dependencies.
    """
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    tomllib.loads(text)  # refuse to edit a file that is not valid TOML
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}"
    first_table = re.search(r"^\s*\[", text, re.MULTILINE)
    head, tail = (text[: first_table.start()], text[first_table.start() :]) if first_table else (text, "")
    pattern = re.compile(_TOP_LEVEL_KEY.format(key=re.escape(key)), re.MULTILINE)
    head = pattern.sub(lambda _: line, head, count=1) if pattern.search(head) else f"{line}\n{head}"
    updated = head + tail
    if tomllib.loads(updated).get(key) != value:
        raise ValueError(f"{key} is not a top-level string after the edit")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)


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
