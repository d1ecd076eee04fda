"""``vozbd audit``: the query audit log (every SQL statement a tool ran, on every surface), newest first."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape

from vozbd.cli.errors import cli_errors
from vozbd.cli.layout import print_rows
from vozbd.cli.logs import since_option

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    since: str | None = typer.Option(None, "--since", help="30m, 2h, 1d, 1w or an ISO date/datetime.", metavar="WHEN"),
    connection: str | None = typer.Option(None, "--connection", "-c", help="Only this connection.", metavar="NAME"),
    surface: str | None = typer.Option(
        None, "--surface", help="Only this surface: mcp, api, ui, cli or agent.", metavar="SURFACE"
    ),
    outcome: str | None = typer.Option(
        None, "--outcome", help="Only ok, refused, error or timeout.", metavar="OUTCOME"
    ),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000, help="At most this many records.", metavar="N"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table."),
) -> None:
    """Show the query audit log of every statement run_query / explain_query ran, on every surface.

    Each line: time, surface (MCP, REST, UI, CLI, agent), user/key, connection, SQL, outcome, rows and ms.
    Stored in the app database."""
    from vozbd.appdb.audit import QueryAuditStore
    from vozbd.cli.context import load_app

    start = since_option(since)
    with cli_errors(as_json):
        store = QueryAuditStore(load_app().open_database().engine)
        rows = store.list(since=start, connection=connection, surface=surface, outcome=outcome, limit=limit)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("Nenhuma consulta registrada com esses filtros.")
        return
    lines = []
    for row in rows:
        when = row["created_at"].strftime("%Y-%m-%d %H:%M:%S") if row["created_at"] else ""
        outcome_text = row["outcome"] + (f" ({row['error_code']})" if row["error_code"] else "")
        lines.append(
            [
                when,
                row["surface"],
                escape(row["user_id"] or "-"),
                escape(row["connection"]),
                outcome_text,
                "" if row["row_count"] is None else str(row["row_count"]),
                "" if row["elapsed_ms"] is None else f"{row['elapsed_ms']:.1f}",
                escape(" ".join(row["sql"].split())[:200]),
            ]
        )
    print_rows(console, ("quando (UTC)", "superfície", "usuário", "conexão", "resultado", "linhas", "ms", "SQL"), lines)
