"""Layer 3: the database itself enforces read-only and the time limit; every session ends in ROLLBACK.

- SQLite: the engine opens the file with ``mode=ro`` (tools.db); we also run ``PRAGMA query_only = ON``; the
  timeout is a ``sqlite3`` progress handler that interrupts the statement after the deadline.
- PostgreSQL: ``SET TRANSACTION READ ONLY`` + ``SET LOCAL statement_timeout``.
- MariaDB: ``SET SESSION max_statement_time`` (seconds); MySQL: ``SET SESSION max_execution_time`` (ms). Then
  ``SET SESSION TRANSACTION READ ONLY`` and ``START TRANSACTION READ ONLY``. The session-level setting matters:
  DDL commits the current transaction implicitly, and only the session default keeps the next one read-only.
  Session settings are restored before the connection goes back to the pool.
- Oracle: ``SET TRANSACTION READ ONLY`` + the driver's ``call_timeout``.
- SQL Server has no read-only transaction: a read-only login/role is the enforcement there (see the docs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tools.db.connect import describe_db_error
from tools.db.failures import classify_error, reason_message
from tools.db.urls import mask_secrets, mask_url
from tools.errors import ConnectionFailedError, DatabaseError, QueryTimeoutError

log = logging.getLogger(__name__)

_CONNECTION_REASONS = ("host_unreachable", "auth_failed", "unknown_database")
_TIMEOUT_MARKERS = (
    "canceling statement due to statement timeout",  # PostgreSQL (SQLSTATE 57014)
    "max_statement_time exceeded",  # MariaDB 1969
    "maximum statement execution time exceeded",  # MySQL 3024
    "DPY-4024",  # oracledb call timeout
    "ORA-03156",
)


@dataclass(frozen=True)
class RawResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float


class _Interrupter:
    """SQLite time limit: a progress handler that aborts the running statement once the deadline has passed.

    sqlite3 calls it every ``PROGRESS_STEPS`` virtual-machine instructions; returning true interrupts the
    statement (``OperationalError: interrupted``). No thread is needed, and it is removed afterwards.
    """

    PROGRESS_STEPS = 10_000

    def __init__(self, dbapi_connection: Any, timeout_s: float) -> None:
        self._connection = dbapi_connection
        self._timeout_s = timeout_s
        self._deadline = float("inf")
        self.fired = False

    def _check(self) -> int:
        if time.monotonic() > self._deadline:
            self.fired = True
            return 1
        return 0

    def start(self) -> None:
        self._deadline = time.monotonic() + self._timeout_s
        self._connection.set_progress_handler(self._check, self.PROGRESS_STEPS)

    def finish(self) -> None:
        self._connection.set_progress_handler(None, 0)


def _is_mariadb(db: Connection) -> bool:
    return bool(getattr(db.dialect, "is_mariadb", False))


@contextmanager
def _readonly_session(db: Connection, dialect: str, timeout_s: float) -> Iterator[_Interrupter | None]:
    """Put ``db`` in a read-only transaction with a statement timeout; always roll back and restore."""
    ms = max(1, int(timeout_s * 1000))
    dbapi = db.connection.dbapi_connection
    interrupter: _Interrupter | None = None
    restore: list[str] = []
    try:
        if dialect == "sqlite":
            db.exec_driver_sql("PRAGMA query_only = ON")
            interrupter = _Interrupter(dbapi, timeout_s)
        elif dialect == "postgres":
            db.exec_driver_sql("SET TRANSACTION READ ONLY")
            db.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
        elif dialect == "mysql":
            if _is_mariadb(db):
                db.exec_driver_sql(f"SET SESSION max_statement_time = {ms / 1000:.3f}")
                restore.append("SET SESSION max_statement_time = DEFAULT")
            else:
                db.exec_driver_sql(f"SET SESSION max_execution_time = {ms}")
                restore.append("SET SESSION max_execution_time = DEFAULT")
            db.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            restore.append("SET SESSION TRANSACTION READ WRITE")
            db.exec_driver_sql("START TRANSACTION READ ONLY")
        elif dialect == "oracle":
            db.exec_driver_sql("SET TRANSACTION READ ONLY")
            if hasattr(dbapi, "call_timeout"):
                dbapi.call_timeout = ms
        elif dialect == "tsql" and hasattr(dbapi, "timeout"):
            dbapi.timeout = max(1, round(timeout_s))  # pyodbc; pymssql has no per-statement timeout
        yield interrupter
    finally:
        if interrupter is not None:
            interrupter.finish()
        _end_session(db, dialect, dbapi, restore)


def _end_session(db: Connection, dialect: str, dbapi: Any, restore: list[str]) -> None:
    try:
        db.rollback()
        for statement in restore:
            db.exec_driver_sql(statement)
        db.rollback()
        if dialect == "oracle" and hasattr(dbapi, "call_timeout"):
            dbapi.call_timeout = 0
    except SQLAlchemyError as error:  # a broken session must never return to the pool
        log.warning("could not reset %s session, discarding the connection: %s", dialect, error)
        db.invalidate()


def execute_readonly(engine: Engine, dialect: str, sql: str, max_rows: int, timeout_s: float) -> RawResult:
    """Run ``sql`` (already validated) read-only with a timeout; fetch at most ``max_rows + 1`` rows.

    Raises ``QueryTimeoutError`` when the time limit interrupts it, ``ConnectionFailedError`` when the database is
    unreachable, ``DatabaseError`` with the driver's message (passwords masked) for anything the database refuses.
    """
    interrupter: _Interrupter | None = None
    try:
        with engine.connect() as db, _readonly_session(db, dialect, timeout_s) as interrupter:
            start = time.perf_counter()
            if interrupter is not None:
                interrupter.start()
            result = db.execution_options(no_parameters=True).exec_driver_sql(sql)
            columns = list(result.keys()) if result.returns_rows else []
            fetched = [tuple(row) for row in result.fetchmany(max_rows + 1)] if result.returns_rows else []
            result.close()
            elapsed_ms = round((time.perf_counter() - start) * 1000, 2)
    except SQLAlchemyError as error:
        raise _map_error(error, engine, dialect, timeout_s, interrupter) from None
    truncated = len(fetched) > max_rows
    return RawResult(columns, fetched[:max_rows], truncated, elapsed_ms)


def _map_error(
    error: SQLAlchemyError, engine: Engine, dialect: str, timeout_s: float, interrupter: _Interrupter | None
) -> DatabaseError:
    detail = mask_secrets(describe_db_error(error), engine.url)
    payload = {"dialect": dialect, "driver_message": detail}
    if (interrupter is not None and interrupter.fired) or any(m.lower() in detail.lower() for m in _TIMEOUT_MARKERS):
        return QueryTimeoutError(
            f"A consulta passou do tempo limite de {timeout_s:g} s e foi interrompida. Simplifique-a: filtre por "
            "período, agregue (COUNT/SUM/GROUP BY) ou evite junções sem condição.",
            detail={**payload, "timeout_s": timeout_s},
        )
    reason = classify_error(error)
    if reason in _CONNECTION_REASONS:
        message = f"{reason_message(reason, mask_url(engine.url))} Detalhe: {detail}"
        return ConnectionFailedError(message, detail={**payload, "reason": reason})
    return DatabaseError(
        f"O banco de dados recusou a consulta: {detail}. Corrija o SQL (nomes de tabelas/colunas, sintaxe do "
        "dialeto) e tente de novo.",
        detail=payload,
    )
