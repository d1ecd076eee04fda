"""Assemble the ``vozbd`` CLI from one module per command group."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperOption

from vozbd import __version__


def _hide_flag_types() -> None:
    """Typer 0.29's rich help prints a value type after every flag (``--version <bool>``, ``--help <bool>``),
    as if flags took a value, and a ``<str>`` type beside an argument's name even when a metavar names it; show
    the metavar of an option that takes a value and nothing more for flags and named arguments. (Hand-written:
    Typer has no setting for it; ``tests/vozbd/test_cli_help.py`` fails if a flag or a named argument shows a type
    again.)"""
    show_type = TyperOption.display_type_rich
    if getattr(show_type, "_vozbd_flags_hidden", False):
        return
    argument_type = TyperArgument.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:  # Typer's vendored click Context
        return None if self.is_flag else show_type(self, ctx)

    def argument_display_type_rich(self: TyperArgument, ctx: Any) -> str | None:
        return None if self.metavar is not None else argument_type(self, ctx)

    display_type_rich._vozbd_flags_hidden = True  # type: ignore[attr-defined]  # patching Typer's help rendering (see above)
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]  # patching Typer's help rendering (see above)
    TyperArgument.display_type_rich = argument_display_type_rich  # type: ignore[method-assign,assignment]  # patching Typer's help rendering (see above)


_hide_flag_types()

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
