"""Run one validated statement in a pinned read-only session, streaming rows under a row, byte and time budget.

The session rules (read-only transaction, pinned string syntax, search path, timeouts, reset afterwards) live in
``session``. Rows are streamed, never buffered whole by the driver: PostgreSQL through psycopg's ``stream``
(extended protocol: exactly one statement, in chunks), MariaDB/MySQL through PyMySQL's unbuffered ``SSCursor``,
SQLite through its lazy cursor, all one row at a time. Fetching stops at ``max_rows + 1`` rows or
``max_result_bytes``; a text value longer than ``max_cell_chars`` is cut and ends with a visible marker
(``CELL_MARKER``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tools.db.connect import describe_db_error, failure_hint
from tools.db.failures import classify_error, reason_message
from tools.db.urls import mask_secrets, mask_url
from tools.errors import ConnectionFailedError, DatabaseError, QueryTimeoutError, UnsafeQueryError
from tools.safe_query.mydescribe import result_columns
from tools.safe_query.pgcells import capped_query
from tools.safe_query.session import Deadline, pinned_session

log = logging.getLogger(__name__)

_CONNECTION_REASONS = ("host_unreachable", "auth_failed", "unknown_database", "tls_failed")
_TIMEOUT_MARKERS = (
    "canceling statement due to statement timeout",  # PostgreSQL (SQLSTATE 57014)
    "canceling statement due to user request",  # PostgreSQL, our client-side watchdog
    "max_statement_time exceeded",  # MariaDB 1969
    "maximum statement execution time exceeded",  # MySQL 3024
    "DPY-4024",  # oracledb call timeout
    "ORA-03156",
)
_LOCKED_MARKERS = (
    "database is locked",  # SQLite: a writer held the file past busy_timeout
    "database table is locked",  # SQLite
    "canceling statement due to lock timeout",  # PostgreSQL (SQLSTATE 55P03)
    "lock wait timeout exceeded",  # MariaDB/MySQL 1205
)
MAX_CELL_CHARS = 4_000
MAX_RESULT_BYTES = 4 * 1024 * 1024
CELL_MARKER = "… [cortado: {total} caracteres no total]"
_SERVER_CUT = "… [cortado: "


@dataclass(frozen=True)
class RawResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float
    cells_cut: int = 0
    """How many text values were cut at ``max_cell_chars``."""
    bytes_capped: bool = False
    """True when fetching stopped at ``max_result_bytes`` (``truncated`` is then true too)."""


def _cut(value: Any, max_chars: int) -> tuple[Any, int, bool]:
    """``(value or its cut text, the size received, whether it was cut)``."""
    if isinstance(value, str):
        if value.startswith(_SERVER_CUT, max_chars):  # already cut by the server (PostgreSQL)
            return value, len(value), True
        if len(value) > max_chars:
            return value[:max_chars] + CELL_MARKER.format(total=len(value)), len(value), True
        return value, len(value), False
    if isinstance(value, bytes | bytearray | memoryview):
        return value, len(value), False  # shown as "<N bytes>", never the content
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > max_chars:
            return text[:max_chars] + CELL_MARKER.format(total=len(text)), len(text), True
        return value, len(text), False
    return value, 16, False


class _Budget:
    def __init__(self, max_rows: int, max_cell_chars: int, max_result_bytes: int) -> None:
        self.max_rows, self.max_cell_chars, self.max_result_bytes = max_rows, max_cell_chars, max_result_bytes
        self.rows: list[tuple[Any, ...]] = []
        self.size = 0
        self.cells_cut = 0
        self.bytes_capped = False

    def take(self, row: Any) -> bool:
        """Keep ``row`` (cells cut); False when the row or byte cap says stop fetching."""
        if len(self.rows) > self.max_rows:
            return False
        kept = []
        for value in row:
            value, size, cut = _cut(value, self.max_cell_chars)
            kept.append(value)
            self.size += size
            self.cells_cut += cut
        self.rows.append(tuple(kept))
        if self.size > self.max_result_bytes:
            self.bytes_capped = True
            return False
        return len(self.rows) <= self.max_rows


class NotAQueryError(UnsafeQueryError):
    """The statement returns no rows: a command that reached the session without the validator. PostgreSQL: it ran
    inside the read-only transaction (so the database's own refusal of writes still applies) and was rolled back.
    MariaDB/MySQL: the server described it without running it (``mydescribe``), and it never ran."""


_SHOW = re.compile(r"\s*SHOW\s", re.IGNORECASE)


def _not_a_query(dialect: str, what_happened: str) -> NotAQueryError:
    return NotAQueryError(
        f"A instrução não é uma consulta (não devolve linhas) e {what_happened}: só consultas de leitura (SELECT, "
        "WITH, VALUES, EXPLAIN, SHOW) são aceitas.",
        detail={"code": "not_a_query", "dialect": dialect},
    )


def _postgres_rows(dbapi: Any, sql: str, max_cell_chars: int) -> tuple[Any, Iterator[Any]]:
    capped = capped_query(dbapi, sql, max_cell_chars)  # values cut on the server: no huge cell reaches us whole
    cursor = dbapi.cursor()
    if capped is None:  # psycopg's stream() cannot run a command: let the database judge it, then refuse it
        cursor.close()
        result = dbapi.pgconn.exec_prepared(b"", [])  # the one statement described above (extended protocol)
        if result.error_message:
            import psycopg

            raise psycopg.DatabaseError(result.error_message.decode(errors="replace").removeprefix("ERROR:").strip())
        raise _not_a_query("postgres", "foi desfeita")
    sql = capped
    # Single-row mode: libpq holds one row at a time, so a result of huge rows never sits in memory whole
    # (the byte budget stops the stream after the first rows). Extended protocol: one statement only.
    return cursor, cursor.stream(sql, size=1)


def _postgres_columns(dbapi: Any, sql: str) -> list[str]:
    """Column names of a statement that returned no rows (psycopg's stream forgets them): describe it."""
    pgconn = dbapi.pgconn
    pgconn.prepare(b"", sql.encode())
    described = pgconn.describe_prepared(b"")
    return [(described.fname(i) or b"?").decode() for i in range(described.nfields)]


def _columns(cursor: Any, dbapi: Any, dialect: str, sql: str, rows_seen: int) -> list[str]:
    if cursor.description:
        return [str(column[0]) for column in cursor.description]
    if dialect == "postgres" and rows_seen == 0:
        return _postgres_columns(dbapi, sql)
    return []


def _mysql_rows(dbapi: Any, sql: str, _max_cell_chars: int) -> tuple[Any, Iterator[Any]]:
    import pymysql.cursors

    # described by the server, not run: KILL, SET, DO, SELECT … INTO @v have no result columns. MariaDB also
    # describes some SHOW statements (SHOW WARNINGS, SHOW PROCESSLIST) with none; a statement whose first word is
    # SHOW is a read whatever follows, so those run.
    if result_columns(dbapi, sql) == 0 and not _SHOW.match(sql):
        raise _not_a_query("mysql", "não foi executada")
    cursor = dbapi.cursor(pymysql.cursors.SSCursor)
    cursor.execute(sql)
    return cursor, _chunks(cursor)


def _plain_rows(dbapi: Any, sql: str, _max_cell_chars: int) -> tuple[Any, Iterator[Any]]:
    cursor = dbapi.cursor()
    cursor.execute(sql)
    return cursor, _chunks(cursor)


def _chunks(cursor: Any) -> Iterator[Any]:
    """One row at a time (PyMySQL's unbuffered cursor reads it off the socket, sqlite3 steps once): a result of
    huge rows never has more than one of them in memory before the byte budget stops the stream."""
    if cursor.description is None:
        return
    while (row := cursor.fetchone()) is not None:
        yield row


_ROWS = {"postgres": _postgres_rows, "mysql": _mysql_rows}


def execute_readonly(
    engine: Engine,
    dialect: str,
    sql: str,
    max_rows: int,
    timeout_s: float,
    *,
    max_cell_chars: int = MAX_CELL_CHARS,
    max_result_bytes: int = MAX_RESULT_BYTES,
    schemas: Sequence[str] | None = None,
    preflight: Callable[[Connection], str | None] | None = None,
    postflight: Callable[[Engine], None] | None = None,
) -> RawResult:
    """Run ``sql`` (already validated) in a pinned read-only session; stream at most ``max_rows + 1`` rows.

    ``schemas`` (PostgreSQL) confines the search path to those schemas (``pinned_session``). ``preflight`` runs in
    the pinned transaction before the statement (``views.view_guard``) and may refuse it, or return the SQL to run
    in its place (MariaDB: the statement with its views replaced by their checked definitions). ``postflight`` runs
    once the rows are read, while the statement still holds its locks (it may read on another pooled connection),
    and may refuse the result.

    Raises ``QueryTimeoutError`` when the time limit interrupts it, ``ConnectionFailedError`` when the database is
    unreachable, ``DatabaseError`` with the driver's message (passwords masked) for anything the database refuses.
    """
    deadline: Deadline | None = None
    budget = _Budget(max_rows, max_cell_chars, max_result_bytes)
    try:
        with engine.connect() as db, pinned_session(db, dialect, timeout_s, schemas) as deadline:
            dbapi = db.connection.dbapi_connection
            deadline.start()  # the pre-flight's catalog look-ups count against the time limit too
            if preflight is not None:
                sql = preflight(db) or sql
            start = time.perf_counter()
            cursor, rows = _ROWS.get(dialect, _plain_rows)(dbapi, sql, max_cell_chars)
            columns: list[str] = []
            try:
                for row in rows:
                    columns = columns or _columns(cursor, dbapi, dialect, sql, 1)
                    if not budget.take(row):
                        break
                columns = columns or _columns(cursor, dbapi, dialect, sql, len(budget.rows))
                if postflight is not None:  # may read on another connection: this one still holds its locks
                    postflight(engine)
            finally:
                _close(rows, cursor, db, dialect, finished=len(budget.rows) <= max_rows and not budget.bytes_capped)
            elapsed_ms = round((time.perf_counter() - start) * 1000, 2)
    except (SQLAlchemyError, OSError) as error:
        raise _map_error(error, engine, dialect, timeout_s, deadline) from None
    except Exception as error:
        if not _is_driver_error(error):
            raise
        raise _map_error(error, engine, dialect, timeout_s, deadline) from None
    truncated = len(budget.rows) > max_rows or budget.bytes_capped
    rows_out = budget.rows[:max_rows]
    return RawResult(columns, rows_out, truncated, elapsed_ms, budget.cells_cut, budget.bytes_capped)


def _close(rows: Iterator[Any], cursor: Any, db: Any, dialect: str, *, finished: bool) -> None:
    """Close the stream; a MariaDB stream stopped early is dropped with its connection instead of drained."""
    if dialect == "mysql" and not finished:
        result = getattr(cursor, "_result", None)
        if result is not None:  # PyMySQL would otherwise read the rest of the stream when it is collected
            result.unbuffered_active = False
        db.invalidate()
        return
    close = getattr(rows, "close", None)
    if close is not None:
        close()
    cursor.close()


def _is_driver_error(error: Exception) -> bool:
    """psycopg / PyMySQL / sqlite3 errors raised by raw cursors (outside SQLAlchemy's wrapping)."""
    module = type(error).__module__.split(".", 1)[0]
    return module in ("psycopg", "pymysql", "sqlite3", "oracledb", "pymssql", "pyodbc")


def _map_error(
    error: BaseException, engine: Engine, dialect: str, timeout_s: float, deadline: Deadline | None
) -> DatabaseError:
    detail = mask_secrets(describe_db_error(error), engine.url)
    payload = {"dialect": dialect, "driver_message": detail}
    fired = deadline is not None and deadline.fired
    if fired or any(m.lower() in detail.lower() for m in _TIMEOUT_MARKERS) or classify_error(error) == "timeout":
        return QueryTimeoutError(
            f"A consulta passou do tempo limite de {timeout_s:g} s e foi interrompida. Simplifique-a: filtre por "
            "período, agregue (COUNT/SUM/GROUP BY) ou evite junções sem condição.",
            detail={**payload, "timeout_s": timeout_s},
        )
    if any(m in detail.lower() for m in _LOCKED_MARKERS):  # the SQL is fine: another program is writing
        return DatabaseError(
            f"O banco está bloqueado por outra operação (uma escrita em andamento) e a consulta não pôde ler a "
            f"tempo ({timeout_s:g} s). A consulta não precisa mudar: tente de novo em instantes.",
            detail={**payload, "reason": "locked"},
        )
    reason = classify_error(error)
    if reason in _CONNECTION_REASONS:
        message = f"{reason_message(reason, mask_url(engine.url))} Detalhe: {detail}{failure_hint(engine, reason)}"
        return ConnectionFailedError(message, detail={**payload, "reason": reason})
    return DatabaseError(
        f"O banco de dados recusou a consulta: {detail}. Corrija o SQL (nomes de tabelas/colunas, sintaxe do "
        "dialeto) e tente de novo.",
        detail=payload,
    )
