"""Map typed errors to CLI exit codes, once, for every command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from tools.errors import (
    CodedError,
    DatabaseError,
    DriverMissingError,
    InvalidInputError,
    ToolError,
    UnknownConnectionError,
    UnsafeQueryError,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNSAFE = 3
EXIT_DATABASE = 4

_EXIT_CODES: tuple[tuple[type[ToolError], int], ...] = (
    (UnsafeQueryError, EXIT_UNSAFE),
    (DatabaseError, EXIT_DATABASE),  # includes ConnectionFailedError, QueryTimeoutError
    (DriverMissingError, EXIT_DATABASE),
    (UnknownConnectionError, EXIT_USAGE),
    (InvalidInputError, EXIT_USAGE),
)

err_console = Console(stderr=True)


def exit_code_for(error: CodedError) -> int:
    from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError

    if isinstance(error, AppDatabaseError) or error.code == "memory_unavailable":
        return EXIT_DATABASE
    if isinstance(error, AppDatabaseConfigError):
        return EXIT_USAGE
    for error_type, code in _EXIT_CODES:
        if isinstance(error, error_type):
            return code
    return EXIT_ERROR


@contextmanager
def cli_errors(json_output: bool = False) -> Iterator[None]:
    """Turn a ToolError, an app database error or unavailable memory into a clear message (JSON on stdout with
    --json) and the matching exit code."""
    from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError

    try:
        yield
    except CodedError as error:
        handled = (ToolError, AppDatabaseError, AppDatabaseConfigError)
        if not isinstance(error, handled) and error.code != "memory_unavailable":
            raise
        if json_output:
            import json

            sys.stdout.write(json.dumps(error.to_dict(), ensure_ascii=False) + "\n")
        else:
            err_console.print(f"[bold red]Erro ({error.code}):[/] {error.message}", highlight=False)
        raise typer.Exit(exit_code_for(error)) from None
