"""PostgreSQL: cap every value on the server, so no huge cell ever reaches the client whole.

libpq receives a row in one piece, so a client-side cut comes too late for a 300 MB ``string_agg``. Before running a
query, its result columns are described (``PQprepare`` + ``PQdescribePrepared``: nothing executes) and the query is
wrapped so that each variable-size value is cut server-side, keeping its type:

- text-like (``text``, ``varchar``, ``char``, ``name``, ``unknown``): ``left(v, N)`` plus the visible marker;
- ``json``/``jsonb``: the cut text as a JSON string, with the marker;
- ``bytea``: its first N bytes;
- anything else that is not a fixed-size scalar (arrays, records, ``xml``, ``tsvector``...): NULL past the limit.

Only queries (``SELECT``/``WITH``/``VALUES``/``TABLE``) are wrapped; ``EXPLAIN``/``SHOW`` output is small.

The wrapper runs with the connection's schemas on the search path, and PostgreSQL prefers an overload that matches
the argument types more exactly wherever it lives (``public.length(varchar)`` beats ``pg_catalog.length(text)``
for a varchar column, whatever the path order). So every function, operator and type it names is qualified with
``pg_catalog`` (``OPERATOR(pg_catalog.||)``): nothing a schema's owner creates can take its place.
"""

from __future__ import annotations

import re
from typing import Any

_TEXT = {25, 1043, 1042, 19, 705}  # text, varchar, bpchar, name, unknown
_JSON, _JSONB, _BYTEA = 114, 3802, 17
_FIXED = {
    16, 20, 21, 23, 26, 700, 701, 1700, 1082, 1083, 1114, 1184, 1186, 1266, 2950, 790, 18, 869, 650, 829,
}  # fmt: skip  # bool, ints, oid, floats, numeric, date/time types, interval, uuid, money, "char", inet, cidr, macaddr
_QUERY = re.compile(r"^\s*\(*\s*(SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE)
CONCAT = " OPERATOR(pg_catalog.||) "
MARKER_SQL = "'… [cortado: '" + CONCAT + "{length}" + CONCAT + "' caracteres no total]'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _longer(length: str, limit: int) -> str:
    return f"{length} OPERATOR(pg_catalog.>) {limit}"


def _cap(ref: str, oid: int, limit: int) -> str:
    if oid in _FIXED:
        return ref
    if oid in _TEXT:
        length = f"pg_catalog.length({ref}::pg_catalog.text)"
        cut = f"pg_catalog.left({ref}::pg_catalog.text, {limit}){CONCAT}{MARKER_SQL.format(length=length)}"
        return f"CASE WHEN {_longer(length, limit)} THEN {cut} ELSE {ref}::pg_catalog.text END"
    if oid in (_JSON, _JSONB):
        as_text = f"({ref})::pg_catalog.text"
        length = f"pg_catalog.length({as_text})"
        to_json = "pg_catalog.to_json" if oid == _JSON else "pg_catalog.to_jsonb"
        cut = f"{to_json}(pg_catalog.left({as_text}, {limit}){CONCAT}{MARKER_SQL.format(length=length)})"
        return f"CASE WHEN {_longer(length, limit)} THEN {cut} ELSE {ref} END"
    if oid == _BYTEA:
        return f"pg_catalog.substring({ref}, 1, {limit})"
    return f"CASE WHEN {_longer(f'pg_catalog.pg_column_size({ref})', limit)} THEN NULL ELSE {ref} END"


def capped_query(dbapi: Any, sql: str, limit: int) -> str | None:
    """``sql`` wrapped so no value exceeds about ``limit`` bytes (``sql`` itself when it is not a query).

    Every statement is described first (parsed, never executed); ``None`` when it returns no rows at all (``SET``,
    ``RESET ROLE``, a write: any command that reached this layer without the validator).
    """
    pgconn = dbapi.pgconn
    prepared = pgconn.prepare(b"", sql.encode())
    if prepared.error_message:  # the transaction is aborted now: report the server's own message
        import psycopg

        message = prepared.error_message.decode(errors="replace").removeprefix("ERROR:").strip()
        raise psycopg.DatabaseError(message)
    described = pgconn.describe_prepared(b"")
    count = described.nfields
    if count == 0:
        return None
    if not _QUERY.match(sql):
        return sql
    names = [(described.fname(i) or b"?").decode() for i in range(count)]
    types = [described.ftype(i) for i in range(count)]
    if all(oid in _FIXED for oid in types):
        return sql
    aliases = [f"c{i}" for i in range(count)]
    columns = ", ".join(
        f"{_cap(f'_vozbd_q.{alias}', oid, limit)} AS {_quote(name)}"
        for alias, oid, name in zip(aliases, types, names, strict=True)
    )
    # the newline: a trailing "-- comment" of the query must not swallow the closing parenthesis
    return f"SELECT {columns} FROM ({sql}\n) AS _vozbd_q({', '.join(aliases)})"
