"""String literals blanked out of SQL the model reads but did not write (remembered examples), for connections
whose policy forbids sample values: ``WHERE uf = 'SP'`` -> ``WHERE uf = '?'``."""

from __future__ import annotations

import re

_STRING = re.compile(r"(?:[EeNn]|_\w+)?'(?:[^'\\]|''|\\.)*'")
"""A SQL string literal (``''`` or a backslash escapes a quote), with an optional E/N prefix or MySQL charset
introducer. Written by hand: a regular expression is enough for this one token and works for every dialect,
even for SQL that sqlglot cannot parse."""


def blank_string_literals(sql: str) -> str:
    """``sql`` with every single-quoted string literal replaced by ``'?'`` (identifiers are untouched)."""
    return _STRING.sub("'?'", sql)
