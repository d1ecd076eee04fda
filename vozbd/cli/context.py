"""The one path from CLI flags to the application: ``load_app(**flags)``.

Every command builds its ``App`` here. A flag that overrides a setting is passed by the setting's field name
(``load_app(host=host, port=port)``; None = flag not given), so it reaches every config built from the
settings (``vozbd serve --host 0.0.0.0`` reaches the server, the MCP endpoint and the UI alike). A bad value,
from a flag or from the environment, is a usage error (exit 2) with a pt-BR message, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from vozbd.cli.errors import EXIT_USAGE, err_console

if TYPE_CHECKING:
    from vozbd.wiring import App


def operator_urls(*names_or_urls: str | None) -> tuple[str, ...]:
    """The database URLs among ``names_or_urls``: typed by the operator on the command line, so accepted."""
    return tuple(value for value in names_or_urls if value and "://" in value)


def load_app(*, operator_urls: tuple[str, ...] = (), accept_urls: bool = False, **flags: Any) -> App:
    """The ``App`` built from the environment / ``.env`` with ``flags`` (setting name → value) on top.

    ``operator_urls``: database URLs the operator typed (tool inputs may name exactly these); ``accept_urls``:
    every input of this command is the operator's, so any URL is accepted (``vozbd examples``)."""
    from pydantic import ValidationError

    from vozbd.wiring import build_app, load_settings

    try:
        settings = load_settings(**flags)
    except ValidationError as error:
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            flag = " (opção da linha de comando)" if flags.get(name) is not None else ""
            err_console.print(
                f"[bold red]Erro (invalid_setting):[/] VOZBD_{name.upper()}{flag}: {escape(problem['msg'])}",
                highlight=False,
            )
        raise typer.Exit(EXIT_USAGE) from None
    if not operator_urls and not accept_urls:
        return build_app(settings)
    from dataclasses import replace

    from vozbd.wiring import build_tool_context

    ctx = replace(build_tool_context(settings), operator_urls=operator_urls, accept_urls=accept_urls)
    return build_app(settings, tool_ctx=ctx)
