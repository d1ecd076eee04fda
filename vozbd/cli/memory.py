"""``vozbd examples`` (verified question->SQL pairs) and ``vozbd glossary`` (business terms), per connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from vozbd.cli.errors import EXIT_USAGE, cli_errors, err_console
from vozbd.cli.layout import print_rows

if TYPE_CHECKING:
    from tools.context import ToolContext
    from tools.memory import MemoryStore

console = Console(highlight=False)
examples_app = typer.Typer(
    help="Verified question -> SQL pairs the agent uses as examples (few-shot), per connection.",
    no_args_is_help=True,
)
glossary_app = typer.Typer(
    help="Business terms and what they mean in a database, per connection.", no_args_is_help=True
)

DB_HELP = "Saved connection name or URL (default: VOZBD_DEFAULT_DB, else demo)."


def register(app: typer.Typer) -> None:
    app.add_typer(examples_app, name="examples")
    app.add_typer(glossary_app, name="glossary")


@contextmanager
def _store() -> Iterator[tuple[MemoryStore, ToolContext]]:
    from tools.db.connect import dispose_engines
    from tools.memory import MemoryStore
    from vozbd.cli.context import load_app

    app = load_app(accept_urls=True)  # every input here is the operator's
    database = app.open_database()
    ctx = app.tool_ctx
    try:
        yield MemoryStore(database.engine), ctx
    finally:
        dispose_engines(ctx)
        database.dispose()


def _connection(ctx: ToolContext, db: str | None) -> tuple[str, str]:
    """(stored connection name, sqlglot dialect) of ``db``."""
    from tools.db.connect import resolve_connection

    resolved = resolve_connection(ctx, db)
    return resolved.name, resolved.dialect


# --- examples -----------------------------------------------------------------------------------------
@examples_app.command("add")
def examples_add(
    question: str = typer.Argument(..., help="The question, as a user would ask it (pt-BR).", metavar="QUESTION"),
    sql: str = typer.Argument(..., help="Read-only SQL that answers it.", metavar="SQL"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP, metavar="NAME_OR_URL"),
    run: bool = typer.Option(True, "--run/--no-run", help="Run the SQL (read-only) first to check it works."),
) -> None:
    """Remember that SQL answers a question (replaces the SQL of the same question)."""
    with cli_errors(), _store() as (store, ctx):
        name, dialect = _connection(ctx, db)
        if run:
            from tools.safe_query import RunQueryInput, run_query

            result = run_query(RunQueryInput(sql=sql, connection=db), ctx)
            console.print(f"SQL executado: {result.row_count} linha(s).")
        example = store.add_example(name, question, sql, source="cli", dialect=dialect)
        console.print(f"Exemplo {example.id} gravado para a conexão {name}.", markup=False)


@examples_app.command("list")
def examples_list(
    db: str | None = typer.Option(None, "--db", help="Only this connection (default: all).", metavar="NAME_OR_URL"),
    json_output: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """List the verified examples."""
    with cli_errors(json_output), _store() as (store, ctx):
        name = _connection(ctx, db)[0] if db else None
        examples = store.list_examples(name)
    if json_output:
        for example in examples:
            row = {k: getattr(example, k) for k in ("id", "connection", "question", "sql", "skeleton", "source")}
            typer.echo(json.dumps(row | {"created_at": example.created_at.isoformat()}, ensure_ascii=False))
        return
    if not examples:
        console.print('Nenhum exemplo verificado. Adicione com: vozbd examples add "pergunta" "SELECT ..."')
        return
    rows = [
        [str(example.id), *(escape(v) for v in (example.connection, example.question, example.sql)), example.source]
        for example in examples
    ]
    print_rows(console, ("id", "conexão", "pergunta", "SQL", "origem"), rows)


@examples_app.command("remove")
def examples_remove(
    example_id: int = typer.Argument(..., help="Id shown by `vozbd examples list`.", metavar="ID"),
) -> None:
    """Forget one verified example."""
    with cli_errors(), _store() as (store, _):
        removed = store.remove_example(example_id)
    if not removed:
        err_console.print(f"Exemplo {example_id} não existe.", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    console.print(f"Exemplo {example_id} removido.")


@examples_app.command("import")
def examples_import(
    suite: Path = typer.Option(
        ..., "--suite", help="Eval suite file whose gold SQL becomes verified examples.", metavar="SUITE"
    ),
    db: str | None = typer.Option(
        None, "--db", help="Store them for this connection (default: each case's db).", metavar="NAME_OR_URL"
    ),
) -> None:
    """Import an eval suite's questions with their gold SQL as verified examples."""
    from evals.suite import SuiteError, load_suite

    try:
        loaded = load_suite(suite)
    except SuiteError as error:
        err_console.print(f"Suite inválida: {error.problems[0]}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    with cli_errors(), _store() as (store, ctx):
        added = 0
        for case in loaded.cases:
            name, dialect = _connection(ctx, db or case.db)
            store.add_example(name, case.question, case.gold_for(dialect), source="suite", dialect=dialect)
            added += 1
    console.print(f"{added} exemplo(s) importado(s) de {suite}.", markup=False)


# --- glossary -----------------------------------------------------------------------------------------
@glossary_app.command("add")
def glossary_add(
    term: str = typer.Argument(..., help='The term as people say it, e.g. "atrasado".', metavar="TERM"),
    definition: str = typer.Argument(
        ..., help='What it means here, e.g. "data_entrega > data_prevista".', metavar="DEFINITION"
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP, metavar="NAME_OR_URL"),
) -> None:
    """Define a business term (replaces an earlier definition of the same term)."""
    with cli_errors(), _store() as (store, ctx):
        name = _connection(ctx, db)[0]
        store.add_term(name, term, definition)
    console.print(f"Termo '{term}' gravado para a conexão {name}.", markup=False)


@glossary_app.command("list")
def glossary_list(
    db: str | None = typer.Option(None, "--db", help="Only this connection (default: all).", metavar="NAME_OR_URL"),
    json_output: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """List the glossary."""
    with cli_errors(json_output), _store() as (store, ctx):
        name = _connection(ctx, db)[0] if db else None
        terms = store.list_terms(name)
    if json_output:
        for term in terms:
            typer.echo(
                json.dumps(
                    {"id": term.id, "connection": term.connection, "term": term.term, "definition": term.definition},
                    ensure_ascii=False,
                )
            )
        return
    if not terms:
        console.print('Glossário vazio. Adicione com: vozbd glossary add "termo" "definição"')
        return
    rows = [[escape(v) for v in (term.connection, term.term, term.definition)] for term in terms]
    print_rows(console, ("conexão", "termo", "definição"), rows)


@glossary_app.command("remove")
def glossary_remove(
    term: str = typer.Argument(..., help="The term to forget.", metavar="TERM"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP, metavar="NAME_OR_URL"),
) -> None:
    """Forget a term."""
    with cli_errors(), _store() as (store, ctx):
        name = _connection(ctx, db)[0]
        removed = store.remove_term(name, term)
    if not removed:
        err_console.print(f"O termo '{term}' não existe na conexão {name}.", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)
    console.print(f"Termo '{term}' removido.", markup=False)
