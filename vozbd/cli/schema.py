"""``vozbd schema``: show a database's tables, columns, keys, row counts and sample values."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from vozbd.cli.errors import EXIT_USAGE, cli_errors, err_console
from vozbd.cli.layout import fits
from vozbd_core.text import plural

if TYPE_CHECKING:
    from tools.schema_inspect import ColumnInfo, SchemaResult, TableInfo

console = Console(highlight=False)
_TREE_INDENT = 8  # two levels of tree guides before a table's columns


def _keys(table: TableInfo) -> dict[str, str]:
    marks: dict[str, list[str]] = {c.name: [] for c in table.columns}
    for name in table.primary_key:
        marks.setdefault(name, []).append("PK")
    for fk in table.foreign_keys:
        target = f"{fk.referred_table}.{','.join(fk.referred_columns)}"
        for name in fk.columns:
            marks.setdefault(name, []).append(f"FK → {target}")
    for ix in table.indexes:
        if ix.unique and len(ix.columns) == 1:
            marks.setdefault(ix.columns[0], []).append("UNIQUE")
    return {name: ", ".join(dict.fromkeys(m)) for name, m in marks.items()}


def _notes(column: ColumnInfo) -> str:
    notes = []
    if column.samples:
        notes.append(", ".join(column.samples) + (", …" if column.more_values else ""))
    if column.comment:
        notes.append(column.comment)
    return " | ".join(notes)


def _table_view(table: TableInfo) -> Table:
    grid = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for header in ("coluna", "tipo", "nulo", "chave", "padrão", "valores / comentário"):
        grid.add_column(header, overflow="fold", no_wrap=header in ("coluna", "tipo"))
    keys = _keys(table)
    for column in table.columns:
        grid.add_row(
            column.name,
            column.type,
            "sim" if column.nullable else "não",
            keys.get(column.name, ""),
            column.default or "",
            _notes(column),
        )
    return grid


def _column_line(column: ColumnInfo, key: str) -> Text:
    """One column as wrapped text: ``nome  VARCHAR(120) · não nulo · PK`` then its values on the next line."""
    facts = [column.type, "aceita nulo" if column.nullable else "não nulo"]
    facts += [key] if key else []
    facts += [f"padrão: {column.default}"] if column.default else []
    line = Text.assemble((column.name, "bold"), "  ", " · ".join(facts))
    if notes := _notes(column):
        line.append("\n")
        line.append("valores: " if column.samples else "", style="dim")
        line.append(notes)
    return line


def _add_columns(branch: Tree, table: TableInfo, as_grid: bool) -> None:
    """The column grid, or one wrapped entry per column when the grids do not fit beside the tree guides."""
    if as_grid:
        branch.add(_table_view(table))
        return
    keys = _keys(table)
    for column in table.columns:
        branch.add(_column_line(column, keys.get(column.name, "")))


def _print_tree(result: SchemaResult) -> None:
    views = sum(t.kind == "view" for t in result.tables)
    root = Tree(
        f"[bold]{escape(result.connection)}[/] ({result.dialect}): "
        f"{plural(len(result.tables) - views, 'tabela')}, {plural(views, 'view')}",
        guide_style="dim",
    )
    # One layout for the whole listing: grids only when every table's grid fits without folding a cell.
    as_grid = all(fits(console, _table_view(table), console.width - _TREE_INDENT) for table in result.tables)
    for table in result.tables:
        label = f"[bold cyan]{escape(table.qualified_name)}[/]" + (
            " [magenta](view)[/]" if table.kind == "view" else ""
        )
        if table.row_count is not None:
            label += f"  [dim]~{plural(table.row_count, 'linha')}[/]"
        if table.comment:
            label += f"  [italic]{escape(table.comment)}[/]"
        branch = root.add(label)
        _add_columns(branch, table, as_grid)
        if len(table.primary_key) > 1:
            branch.add(f"PK ({', '.join(table.primary_key)})")
        for fk in table.foreign_keys:
            if len(fk.columns) > 1:
                branch.add(f"FK ({', '.join(fk.columns)}) → {fk.referred_table}({', '.join(fk.referred_columns)})")
    console.print(root)
    if result.not_found:
        console.print(f"[yellow]Não encontradas:[/] {', '.join(result.not_found)}")


def schema(
    db: str | None = typer.Argument(
        None, help="Saved connection name or database URL (default: the demo database).", metavar="NAME_OR_URL"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the structured schema as one JSON object."),
    prompt: bool = typer.Option(False, "--prompt", help="Print the compact text given to the LLM."),
    question: str | None = typer.Option(
        None, "--question", "-q", help="Question used to pick the most relevant tables.", metavar="QUESTION"
    ),
    budget: int | None = typer.Option(
        None,
        "--budget",
        min=200,
        help="Character budget of the compact text (default: VOZBD_SCHEMA_PROMPT_BUDGET).",
        metavar="CHARS",
    ),
    tables: list[str] | None = typer.Option(
        None, "--table", "-t", help="Only this table or view (repeatable; glob patterns allowed).", metavar="TABLE"
    ),
    schema_name: str | None = typer.Option(
        None, "--schema", help="PostgreSQL schema / MySQL database to inspect.", metavar="SCHEMA"
    ),
    refresh: bool = typer.Option(False, "--refresh", help="Ignore cached results and read the database again."),
) -> None:
    """Show tables, views, columns, keys, approximate row counts and sample values of a database."""
    if json_output and prompt:
        err_console.print("Use --json ou --prompt, não os dois.")
        raise typer.Exit(EXIT_USAGE)
    from tools.schema_inspect import InspectSchemaInput, inspect_schema
    from tools.schema_inspect.bilingual import load_dictionary
    from tools.schema_inspect.tool import with_prompt
    from vozbd.cli.context import load_app, operator_urls

    ctx = load_app(schema_prompt_budget=budget, operator_urls=operator_urls(db)).tool_ctx
    with cli_errors(json_output):
        params = InspectSchemaInput(connection=db, tables=tables or None, schema_=schema_name, refresh=refresh)
        result = inspect_schema(params, ctx)
        if question or budget:
            dictionary = load_dictionary(ctx.dictionary_dirs)
            result = with_prompt(result, question, ctx.schema_prompt_budget, dictionary)
        if json_output:
            typer.echo(result.model_dump_json())
        elif prompt:
            typer.echo(result.compact)
        else:
            _print_tree(result)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
