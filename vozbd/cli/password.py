"""``--ask-password``: a hidden prompt on a terminal, the password read from stdin otherwise.

Without a terminal (a pipe, CI) a hidden prompt cannot work: Python's getpass warns that input may be echoed and
click then aborts in English. Like ``docker login --password-stdin``, the whole of stdin is then the password
(one trailing newline dropped), so ``printf '%s' "$SENHA" | vozbd db add ... --ask-password`` works in scripts.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import typer

from tools.errors import InvalidInputError

logger = logging.getLogger(__name__)

EXIT_CANCELLED = 130
"""What a shell reports for Ctrl-C (128 + SIGINT)."""

EMPTY_STDIN = (
    "--ask-password sem terminal lê a senha da entrada padrão, mas ela veio vazia. "
    "Exemplo: printf '%s' \"$SENHA\" | vozbd db add NOME URL --ask-password"
)


def read_password() -> str:
    """The password: prompted (hidden, on stderr) when stdin is a terminal, else all of stdin."""
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        return _prompt_hidden()
    return _read_stdin(stdin)


def _prompt_hidden() -> str:
    try:
        password: str = typer.prompt("Senha", hide_input=True, err=True)
    except typer.Abort:  # Ctrl-C or Ctrl-D at the prompt (a newline is already printed): not English "Aborted."
        typer.echo("Cancelado: nenhuma senha informada, nada foi salvo.", err=True)
        raise typer.Exit(EXIT_CANCELLED) from None
    return password


def _read_stdin(stdin: TextIO | None) -> str:
    password = (stdin.read() if stdin is not None else "").removesuffix("\n").removesuffix("\r")
    if not password:
        logger.info("--ask-password without a terminal: stdin was empty")
        raise InvalidInputError(EMPTY_STDIN, detail={"option": "--ask-password", "reason": "empty_stdin"})
    return password
