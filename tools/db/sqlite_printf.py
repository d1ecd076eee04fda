"""SQLite: ``printf``/``format`` with a bounded width and precision, for every statement on a vozbd connection.

SQLite 3.40's ``printf('%.*c', 1000000000, 'x')`` appends one character at a time even after the value passed
``SQLITE_LIMIT_LENGTH`` (it returns NULL in the end, after ~40 s of one uninterruptible VM step: neither the progress
handler nor ``interrupt()`` can stop it). The validator refuses such formats statically; this guard makes the
session hold on its own (the validator-bypassed run of the red-team corpus): vozbd registers its own ``printf`` and
``format`` on each connection, which check every width and precision (literal or ``*``) and then delegate to
SQLite's built-in ``printf`` on a private in-memory connection. A width past ``MAX_PRINTF_WIDTH`` fails the
statement with SQLite's own "string or blob too big" (the same error as any value over the length limit).

Written by hand: no library parses SQLite's printf directives; the grammar is the one of ``sqlite3_str_vappendf``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any

MAX_PRINTF_WIDTH = 100_000
"""Largest width or precision a ``printf`` directive may ask for (legitimate reports use a few dozen)."""

# %[flags][width][.precision][length]type — flags "-+ 0#,!", width/precision digits or '*', length l or ll.
_OVERSIZE = 64 * 1024 * 1024
"""Bigger than any ``SQLITE_LIMIT_LENGTH`` vozbd sets (``tools.db.connect.MAX_VALUE_BYTES``)."""
_DIRECTIVE = re.compile(r"%([-+ 0#,!]*)(\*|\d+)?(?:\.(\*|\d+))?(?:ll|l)?(.)?", re.DOTALL)
_local = threading.local()


def _engine() -> sqlite3.Connection:
    """A private in-memory connection (one per thread) whose built-in printf does the formatting."""
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(":memory:", check_same_thread=True)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_PRINTF_WIDTH * 4)
    return conn


def _too_wide(fmt: str, args: tuple[Any, ...]) -> bool:
    """Does a directive of ``fmt`` ask for a width or precision past ``MAX_PRINTF_WIDTH``?"""
    position = 0
    for match in _DIRECTIVE.finditer(fmt):
        width, precision, kind = match.group(2), match.group(3), match.group(4)
        if kind == "%":
            continue
        for size in (width, precision):
            if size == "*":
                value = args[position] if position < len(args) else 0
                position += 1
                try:
                    number = abs(int(value or 0))
                except (TypeError, ValueError):
                    number = 0  # SQLite reads a non-number as 0
                if number > MAX_PRINTF_WIDTH:
                    return True
            elif size is not None and int(size) > MAX_PRINTF_WIDTH:
                return True
        position += 1
    return False


def bounded_printf(fmt: Any, *args: Any) -> Any:
    """SQLite's ``printf(fmt, ...)`` unless a width/precision is too big (then a value SQLite refuses as too big)."""
    if fmt is None:
        return None
    text = fmt if isinstance(fmt, str) else str(fmt)
    if _too_wide(text, args):
        return bytes(_OVERSIZE)  # calloc'd, never touched: SQLite refuses it by length ("string or blob too big")
    placeholders = ", ".join("?" for _ in range(len(args) + 1))
    return _engine().execute(f"SELECT printf({placeholders})", (text, *args)).fetchone()[0]


def install_printf_guard(dbapi_conn: sqlite3.Connection) -> None:
    """Replace ``printf`` and ``format`` on ``dbapi_conn`` with ``bounded_printf`` (any number of arguments)."""
    for name in ("printf", "format"):
        dbapi_conn.create_function(name, -1, bounded_printf, deterministic=True)
