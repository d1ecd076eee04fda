"""``vozbd db add/list/test/remove`` and ``vozbd demo export``: saved database connections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from vozbd.cli.errors import EXIT_DATABASE, cli_errors

if TYPE_CHECKING:
    from tools.context import ToolContext

db_app = typer.Typer(help="Manage saved database connections (passwords stored encrypted).", no_args_is_help=True)
demo_app = typer.Typer(help="The bundled pt-BR demo database.", no_args_is_help=True)
console = Console(highlight=False)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object instead of a table.")


def _context() -> ToolContext:
    from vozbd.cli.context import load_app

    return load_app().tool_ctx


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False))


@db_app.command("add")
def add(
    name: str = typer.Argument(..., help="Connection name: lowercase letters, digits, '_' or '-' (max 64)."),
    url: str = typer.Argument(..., help="Database URL, e.g. postgresql://user:password@host:5432/db"),
    no_test: bool = typer.Option(False, "--no-test", help="Save without trying to connect."),
    ask_password: bool = typer.Option(
        False, "--ask-password", help="Prompt for the password (hidden) instead of writing it in the URL."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Save a connection (the password is encrypted) and test it; an unreachable database is still saved."""
    from tools.db.connect import resolve_connection, test_connection
    from tools.db.urls import parse_url

    with cli_errors(json_output):
        ctx = _context()
        parsed = parse_url(url)
        if ask_password:
            parsed = parsed.set(password=typer.prompt("Senha", hide_input=True, err=True))
        info = ctx.registry.add(name, parsed)
        result = None if no_test else test_connection(ctx, resolve_connection(ctx, name))
        if json_output:
            _emit({"saved": info.model_dump(), "test": result.model_dump() if result else None})
            return
        console.print(f"[green]Conexão '{info.name}' salva:[/] {info.masked_url}")
        if result is None:
            return
        if result.ok:
            console.print(f"[green]✓[/] {result.message}")
        else:
            console.print(f"[yellow]Aviso:[/] a conexão foi salva, mas o teste falhou ({result.reason_code}).")
            console.print(result.message)


@db_app.command("list")
def list_(json_output: bool = JSON_OPTION) -> None:
    """List saved connections (and the bundled demo database); passwords are never shown."""
    from tools.connections import ListConnectionsInput, list_connections

    with cli_errors(json_output):
        result = list_connections(ListConnectionsInput(), _context())
        if json_output:
            _emit(result.model_dump())
            return
        table = Table(title="Conexões")
        for column in ("Nome", "Dialeto", "URL", ""):
            table.add_column(column)
        for info in result.connections:
            mark = "padrão" if info.name == result.default else ""
            table.add_row(info.name, info.dialect, info.masked_url, mark)
        console.print(table)


@db_app.command("test")
def test(
    name_or_url: str = typer.Argument(None, help="Saved name, 'demo' or a database URL (default: the default)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Connect and print the server version and latency, or the reason it failed (exit code 4)."""
    from tools.db.connect import resolve_connection, test_connection

    with cli_errors(json_output):
        ctx = _context()
        conn = resolve_connection(ctx, name_or_url)
        result = test_connection(ctx, conn)
        if json_output:
            _emit({"connection": conn.name, "masked_url": conn.masked_url, **result.model_dump()})
        elif result.ok:
            console.print(f"[green]✓ {conn.name}[/]: {result.server_version} — {result.latency_ms:.0f} ms")
        else:
            console.print(f"[red]✗ {conn.name}[/] ({result.reason_code}): {result.message}")
    if not result.ok:
        raise typer.Exit(EXIT_DATABASE)


@db_app.command("remove")
def remove(name: str = typer.Argument(..., help="Saved connection name."), json_output: bool = JSON_OPTION) -> None:
    """Delete a saved connection."""
    with cli_errors(json_output):
        _context().registry.remove(name)
        if json_output:
            _emit({"removed": name})
        else:
            console.print(f"Conexão '{name}' removida.")


@demo_app.command("export")
def export(path: Path = typer.Argument(..., help="Where to write a copy of the demo SQLite database.")) -> None:
    """Copy the bundled demo database to PATH (an ordinary, writable SQLite file)."""
    from tools.db.demo import demo_db_path
    from tools.errors import InvalidInputError

    with cli_errors():
        target = path.expanduser()
        if target.is_dir():
            target = target / "demo.sqlite"
        if target.exists():
            raise InvalidInputError(f"O arquivo {target} já existe; escolha outro caminho.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_db_path(), target)
        console.print(f"Banco de demonstração copiado para {target}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
