"""``vozbd query [DB] "SQL"``: run one read-only query (the same safe path the agent uses)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from vozbd.cli.errors import cli_errors
from vozbd.cli.layout import print_rows
from vozbd_core.text import plural

if TYPE_CHECKING:
    from tools.safe_query import QueryResult

console = Console(highlight=False)

HELP = """Run ONE read-only SQL query and print the rows.

With one argument it is the SQL, run on the default connection (VOZBD_DEFAULT_DB, else the bundled demo database).

With two arguments the first is the database (a saved connection name, 'demo' or a SQLAlchemy URL), the second the SQL.

Examples:

  vozbd query "SELECT uf, COUNT(*) FROM clientes GROUP BY uf"

  vozbd query demo "SELECT * FROM pedidos ORDER BY valor_total DESC" --max-rows 5 --json

Exit codes: 0 ok, 2 usage error, 3 unsafe query (rejected, never executed), 4 database error or timeout.
"""


def _value(value: Any) -> str:
    if value is None:
        return "[dim]NULL[/]"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).replace("[", r"\[")


def _print_table(result: QueryResult, cap: int) -> None:
    headers = [escape(column) for column in result.columns]
    print_rows(console, headers, [[_value(v) for v in row] for row in result.rows], numbered=True)
    count = plural(result.row_count, "linha")
    if result.truncated:
        count = f"{count} (resultado cortado no limite de {cap} linhas; use --max-rows)"
    console.print(f"{count} — {result.elapsed_ms:.1f} ms — {result.connection} ({result.dialect})")


def query(
    first: str = typer.Argument(..., metavar="DB_OR_SQL", help="The SQL; or the database when SQL follows."),
    second: str | None = typer.Argument(None, metavar="SQL", help="The SQL when DB is given.", show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    max_rows: int | None = typer.Option(
        None, "--max-rows", min=1, help="Row cap for this run (default: settings).", metavar="N"
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", min=0.001, help="Time limit, seconds (default: settings).", metavar="SECONDS"
    ),
) -> None:
    import getpass

    from tools.audit import calling_as
    from tools.safe_query import RunQueryInput, run_query
    from vozbd.cli.context import load_app, operator_urls

    database, sql = (None, first) if second is None else (first, second)
    ctx = load_app(max_rows=max_rows, query_timeout_s=timeout, operator_urls=operator_urls(database)).tool_ctx
    with cli_errors(json_output):
        with calling_as("cli", getpass.getuser()):
            result = run_query(RunQueryInput(sql=sql, connection=database), ctx)
        if json_output:
            typer.echo(json.dumps(result.model_dump(), ensure_ascii=False))
        else:
            _print_table(result, ctx.query_limits.max_rows)


query.__doc__ = HELP


def register(app: typer.Typer) -> None:
    app.command("query", help=HELP)(query)
