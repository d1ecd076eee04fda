"""``vozbd db-upgrade`` (migrate the app database) and ``vozbd logs`` (read ``conversation_logs``)."""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from vozbd.cli.errors import EXIT_OK, EXIT_USAGE, cli_errors, err_console
from vozbd.cli.layout import print_rows

if TYPE_CHECKING:
    from vozbd.appdb.logs import TurnLog

console = Console(highlight=False)

_RELATIVE = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
CSV_FIELDS = (
    "id",
    "created_at",
    "conversation_id",
    "turn_id",
    "user_id",
    "surface",
    "input_mode",
    "connection",
    "transcript",
    "question",
    "sql",
    "row_count",
    "answer",
    "model",
    "timings",
    "error",
    "error_message",
)


def register(app: typer.Typer) -> None:
    app.command("db-upgrade")(db_upgrade)
    app.command("logs")(logs)


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``30m``, ``2h``, ``1d``, ``1w`` ago, or an ISO date/datetime (naive = UTC). ``ValueError`` otherwise."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(value)
    if match:
        try:
            return now - timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2].lower()])
        except OverflowError:  # further back than datetime can go ("99999999999d"): everything
            return datetime.min.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def since_option(value: str | None) -> datetime | None:
    """``--since`` of ``vozbd logs`` and ``vozbd audit``: None when not given; a bad value ends the command with
    a pt-BR message and the usage exit code."""
    if not value:
        return None
    try:
        return parse_since(value)
    except ValueError:
        err_console.print(
            f"[bold red]Erro:[/] --since inválido: {escape(value)} (use 30m, 2h, 1d, 1w ou uma data ISO, "
            "ex.: 2026-01-31)."
        )
        raise typer.Exit(EXIT_USAGE) from None


def db_upgrade(
    revision: str = typer.Option(
        "head", "--revision", help="Target Alembic revision (default: the latest).", metavar="REVISION"
    ),
) -> None:
    """Migrate the app database (VOZBD_DATABASE_URL) to the latest schema. Also done at every start."""
    from sqlalchemy.exc import SQLAlchemyError

    from vozbd.appdb.migrate import upgrade
    from vozbd.cli.context import load_app

    with cli_errors():
        database = load_app().open_database(migrate=False)
        try:
            before, after = upgrade(database.engine, revision)
        except SQLAlchemyError as error:
            err_console.print(f"[bold red]Erro ao migrar:[/] {escape(str(error))}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from None
        finally:
            database.dispose()
    shown = database.safe_url
    if before == after:
        console.print(f"Banco do aplicativo já atualizado ({', '.join(sorted(after)) or 'vazio'}): {escape(shown)}")
    else:
        old = ", ".join(sorted(before)) or "vazio"
        console.print(f"Banco do aplicativo migrado de {old} para {', '.join(sorted(after))}: {escape(shown)}")
    raise typer.Exit(EXIT_OK)


def logs(
    conversation: str | None = typer.Option(
        None, "--conversation", "-c", help="Only this conversation id.", metavar="ID"
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only turns since 30m, 2h, 1d, 1w or an ISO date/time.", metavar="WHEN"
    ),
    user: str | None = typer.Option(None, "--user", help="Only this user / API key id.", metavar="USER"),
    surface: str | None = typer.Option(
        None, "--surface", help="Only one surface: ui, api, voice, cli or mcp.", metavar="SURFACE"
    ),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Only the most recent N turns.", metavar="N"),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON array (one object per turn)."),
    csv_output: bool = typer.Option(False, "--csv", help="Print CSV with a header row."),
) -> None:
    """Show the conversation log: every turn on every surface (question, SQL, rows, answer, timings, error)."""
    if json_output and csv_output:
        err_console.print("[bold red]Erro:[/] use --json ou --csv, não os dois.")
        raise typer.Exit(EXIT_USAGE)
    if surface is not None and surface not in ("ui", "api", "voice", "cli", "mcp"):
        err_console.print("[bold red]Erro:[/] --surface deve ser ui, api, voice, cli ou mcp.")
        raise typer.Exit(EXIT_USAGE)
    since_at = since_option(since)

    from vozbd.cli.context import load_app

    with cli_errors(json_output):
        database = load_app().open_database()
        try:
            turns = database.logs.list_turns(
                conversation_id=conversation,
                user_id=user,
                since=since_at,
                surface=surface,  # type: ignore[arg-type]  # typer validated it against the surface choices
                limit=limit,
            )
        finally:
            database.dispose()
    if json_output:
        sys.stdout.write(json.dumps([t.model_dump(mode="json") for t in turns], ensure_ascii=False) + "\n")
    elif csv_output:
        _write_csv(turns)
    else:
        _print_table(turns)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(…)`` typed as a question by any API caller)
    gets a leading ``'``, the usual guard against CSV injection; other values are unchanged. ``--json`` keeps
    every text exactly as logged."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _write_csv(turns: list[TurnLog]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for turn in turns:
        row = turn.model_dump(mode="json")
        row["timings"] = json.dumps(row["timings"], ensure_ascii=False)
        writer.writerow({name: spreadsheet_safe(row.get(name)) for name in CSV_FIELDS})


def _short(text: str | None, size: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _print_table(turns: list[TurnLog]) -> None:
    if not turns:
        console.print("[dim]Nenhum turno registrado com esses filtros.[/]")
        return
    rows = []
    for turn in turns:
        mode = "🎤 " if turn.input_mode == "voice" else ""
        total = turn.timings.get("total_ms")
        rows.append(
            [
                turn.created_at.astimezone(UTC).strftime("%m-%d %H:%M:%S"),
                escape(turn.conversation_id),
                turn.surface + (f" ({escape(turn.user_id)})" if turn.user_id else ""),
                mode + escape(_short(turn.question or turn.transcript)),
                "" if turn.row_count is None else str(turn.row_count),
                escape(_short(turn.answer)),
                "" if total is None else f"{total:.0f}",
                escape(turn.error or ""),
            ]
        )
    headers = ("quando (UTC)", "conversa", "origem", "pergunta", "linhas", "resposta", "ms", "erro")
    print_rows(console, headers, rows)
    console.print(f"[dim]{len(turns)} turno(s). O SQL e os tempos por etapa estão em --json e --csv.[/]")
