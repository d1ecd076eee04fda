"""Assemble the ``vozbd`` CLI from one module per command group."""

from __future__ import annotations

import typer

from vozbd import __version__

app = typer.Typer(
    name="vozbd",
    help="vozbd: talk to your database in Brazilian Portuguese (voice, safe SQL, local models).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vozbd {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """vozbd: talk to your database in Brazilian Portuguese."""


def _register() -> None:
    # Each command-group module registers itself on ``app`` when imported.
    # Keep one line per module; modules must not import heavy optional deps at import time.
    import importlib

    for module in (
        "vozbd.cli.ui",  # ui: the voice chat in the browser (the main job)
        "vozbd.cli.serve",  # serve: UI + MCP + REST in one process
        "vozbd.cli.agent",  # ask, chat: the agent in the terminal
        "vozbd.cli.query",  # query: one read-only SQL query (safe-query)
        "vozbd.cli.schema",  # schema: tables, columns, keys, samples, prompt text
        "vozbd.cli.speech",  # transcribe, speak, voices
        "vozbd.cli.mcp",  # mcp: the MCP server (stdio / streamable HTTP)
        "vozbd.cli.db",  # db add/list/test/remove, demo export
        "vozbd.cli.models",  # models list/install/status
        "vozbd.cli.eval",  # eval run/validate/compare/report/import-spider
        "vozbd.cli.memory",  # examples, glossary: verified question->SQL pairs and business terms
        "vozbd.cli.logs",  # db-upgrade, logs: the app database and its conversation log
        "vozbd.cli.config",  # config path/show: where the configuration comes from
        "vozbd.cli.audit",  # audit: every SQL statement run by a tool, on every surface
    ):
        importlib.import_module(module).register(app)


_register()


def run() -> None:
    app()
