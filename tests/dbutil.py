"""Test helpers over real databases: order-independent table checksums (prove that nothing changed)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, create_engine, inspect, make_url, text


def _norm(value: Any) -> str:
    """One canonical text per value, identical across SQLite, PostgreSQL and MariaDB drivers."""
    if value is None:
        return "\x00NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = Decimal(str(value)).normalize()
        return "0" if number == 0 else format(number, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _engine_url(url: str | URL | Path) -> URL:
    if isinstance(url, Path):
        url = URL.create("sqlite", database=str(url))
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite" and parsed.database and not parsed.database.startswith("file:"):
        # read-only: computing a checksum must never create or modify the file
        path = quote(str(Path(parsed.database).resolve()), safe="/")
        return URL.create("sqlite", database=f"file:{path}", query={"mode": "ro", "uri": "true"})
    return parsed


def table_checksums(url: str | URL | Path, schema: str | None = None) -> dict[str, str]:
    """``{table: sha256}`` over every row of every table (row order does not matter; column names count)."""
    engine = create_engine(_engine_url(url))
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names(schema=schema))
            quote_id = conn.dialect.identifier_preparer.quote
            result: dict[str, str] = {}
            for name in names:
                qualified = f"{quote_id(schema)}.{quote_id(name)}" if schema else quote_id(name)
                rows = conn.execute(text(f"SELECT * FROM {qualified}"))
                header = "\x1f".join(rows.keys())
                digests = sorted(
                    hashlib.sha256("\x1f".join(_norm(v) for v in row).encode()).hexdigest() for row in rows
                )
                result[name] = hashlib.sha256("\n".join([header, *digests]).encode()).hexdigest()
            return result
    finally:
        engine.dispose()
