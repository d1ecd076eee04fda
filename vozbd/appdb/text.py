"""Text as the app database can store it.

PostgreSQL's ``text`` refuses U+0000 (``invalid byte sequence for encoding "UTF8": 0x00``), and a question, an
answer or an audited SQL statement may hold one (typed by a client, or read from a database's values). Such a
row must still be written — an audit row lost to a NUL would let a caller run statements unaudited — so the NUL
becomes U+FFFD (visible as "�") on every backend, the same row on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

NUL, REPLACEMENT = "\x00", "\ufffd"


def storable_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with U+0000 replaced in its string values (the same dict when there is none)."""
    if not any(isinstance(value, str) and NUL in value for value in row.values()):
        return row
    return {key: value.replace(NUL, REPLACEMENT) if isinstance(value, str) else value for key, value in row.items()}
