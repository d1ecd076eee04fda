"""Layer 3: a pinned, read-only session around every statement, reset before the connection is reused.

Pinned before each statement (the server must read the SQL exactly as the validator did):

- PostgreSQL: ``SET TRANSACTION READ ONLY``; ``standard_conforming_strings = on`` (backslashes are not escapes);
  ``search_path`` with ``pg_catalog`` first (no user object shadows a built-in), then only the connection's
  schemas when the caller confines it (``tools.safe_query.scope``); ``statement_timeout`` and
  ``lock_timeout``. Afterwards ``ROLLBACK`` and ``DISCARD ALL`` (settings, advisory locks, temp tables, prepared
  statements all gone).
- MariaDB/MySQL: ``sql_mode`` pinned to a mode without ``NO_BACKSLASH_ESCAPES``/``ANSI_QUOTES``/``PIPES_AS_CONCAT``;
  ``max_statement_time`` (MariaDB) or ``max_execution_time`` (MySQL); ``SET SESSION TRANSACTION READ ONLY`` +
  ``START TRANSACTION READ ONLY``; PyMySQL's client read/write timeouts set to the query timeout plus a margin.
  Afterwards ``ROLLBACK`` and ``COM_RESET_CONNECTION`` (user variables, locks, session settings).
- SQLite: ``PRAGMA query_only``, ``busy_timeout`` within the query timeout, a progress handler every
  ``PROGRESS_STEPS`` VM instructions, and ``SQLITE_LIMIT_LENGTH`` (no string/blob bigger than ``MAX_VALUE_BYTES``).
- Oracle: ``SET TRANSACTION READ ONLY`` + the driver's ``call_timeout``. SQL Server: a read-only login is the
  enforcement (no read-only transaction exists).

A watchdog (``tools.safe_query.watchdog``: one thread per process, not a timer thread per statement) cancels the
statement from the client side ``CLIENT_GRACE_S`` after the deadline, for servers that cannot interrupt it
themselves; on PostgreSQL, a backend stuck in one uninterruptible call ignores the cancel too, so a second timer,
``HARD_STOP_S`` after the cancel is due, shuts the socket down and the connection is discarded. The two timers are
armed together when the statement starts (the hang-up does not wait for the cancel request, which opens a
connection of its own to a server that may be slow to accept it): the caller gets its timeout error within
``timeout + PG_CANCEL_GRACE_S + HARD_STOP_S`` whatever the server does. A session whose reset
fails is discarded, never returned to the pool.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from tools.db.connect import limit_sqlite_values
from tools.db.pgpath import BUILTINS_FIRST_SQL
from tools.safe_query.watchdog import WATCHDOG, Alarm

log = logging.getLogger(__name__)

CLIENT_GRACE_S = 1.0
PG_CANCEL_GRACE_S = 0.25
"""PostgreSQL: the server's own statement_timeout fires first; the client cancels this long after the deadline."""
HARD_STOP_S = 0.25
"""PostgreSQL: after the client-side cancel, how long to wait before shutting the socket down."""
MYSQL_SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
_COM_RESET_CONNECTION = 0x1F


class Deadline:
    """The statement's time limit: a SQLite progress handler plus a client-side watchdog for every dialect."""

    PROGRESS_STEPS = 1_000

    def __init__(self, dbapi: Any, dialect: str, timeout_s: float) -> None:
        self._dbapi = dbapi
        self._dialect = dialect
        self._timeout_s = timeout_s
        self._deadline = float("inf")
        self._alarms: list[Alarm] = []
        self._finished = False
        self._lock = threading.Lock()
        """Orders an alarm's action against ``finish``: an action that runs after it does nothing."""
        self.cancel_sent = False
        """PostgreSQL: a cancel request went out; the server may apply it to whatever the backend runs next."""
        self.fired = False

    def _check(self) -> int:
        if time.monotonic() > self._deadline:
            self.fired = True
            return 1
        return 0

    def _cancel(self) -> None:
        # An alarm due as the statement ends may run after ``finish``, when the connection already serves another
        # checkout: then it must do nothing. sqlite3's interrupt is quick and runs under the lock; PostgreSQL's
        # cancel request opens a connection (it must not hold ``finish`` up), so it is only recorded under the lock
        # and ``pinned_session`` discards a connection that was sent one.
        with self._lock:
            if self._finished:
                return
            self.fired = True
            if self._dialect == "sqlite":
                self._run_cancel(self._dbapi.interrupt)
                return
            if self._dialect != "postgres":
                return
            self.cancel_sent = True
        self._run_cancel(self._dbapi.cancel)

    def _run_cancel(self, cancel: Any) -> None:
        try:
            cancel()
        except Exception as error:
            log.warning("client-side cancel failed for %s: %s", self._dialect, error)

    def _hang_up(self) -> None:
        """PostgreSQL: a backend busy in one uninterruptible call (``format('%900000000s', ...)``, ``array_fill``)
        ignores the cancel: stop waiting for it by shutting the socket down (the connection is discarded)."""
        with self._lock:  # never the socket of a connection that is back in the pool
            if self._finished:
                return
            self.fired = True
            self.cancel_sent = True
            try:
                fd = self._dbapi.pgconn.socket
                with socket.socket(fileno=os.dup(fd)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
                log.warning("postgres statement ignored its cancel; connection shut down on the client side")
            except Exception as error:  # the statement finished meanwhile and the connection is gone or idle
                log.info("client-side hang-up skipped: %s", error)

    def start(self) -> None:
        self._deadline = time.monotonic() + self._timeout_s
        if self._dialect == "sqlite":
            self._dbapi.set_progress_handler(self._check, self.PROGRESS_STEPS)
        if self._dialect == "postgres":
            self._arm(self._timeout_s + PG_CANCEL_GRACE_S, self._cancel)
            self._arm(self._timeout_s + PG_CANCEL_GRACE_S + HARD_STOP_S, self._hang_up)
        elif self._dialect == "sqlite":  # MariaDB/MySQL: PyMySQL's read timeout does this job
            self._arm(self._timeout_s + CLIENT_GRACE_S, self._cancel)

    def _arm(self, delay_s: float, action: Any) -> None:
        self._alarms.append(WATCHDOG.schedule(delay_s, action))

    def finish(self) -> None:
        with self._lock:  # waits for a running interrupt or hang-up; any action after this does nothing
            self._finished = True
        for alarm in self._alarms:
            alarm.cancel()
        if self._dialect == "sqlite":
            self._dbapi.set_progress_handler(None, 0)


def _is_mariadb(db: Connection) -> bool:
    return bool(getattr(db.dialect, "is_mariadb", False))


def _pin_postgres(db: Connection, ms: int, schemas: Sequence[str] | None) -> None:
    db.exec_driver_sql(
        "SET TRANSACTION READ ONLY; "
        "SET LOCAL standard_conforming_strings = on; "
        f"SET LOCAL statement_timeout = {ms}; "
        f"SET LOCAL lock_timeout = {ms}; "
        f"{BUILTINS_FIRST_SQL}"
    )
    if schemas is not None:  # confined: unqualified names resolve only in the connection's schemas
        path = ", ".join(["pg_catalog", *('"' + s.replace('"', '""') + '"' for s in schemas)])
        db.exec_driver_sql("SELECT pg_catalog.set_config('search_path', %(path)s, true)", {"path": path})


def _pin_mysql(db: Connection, dbapi: Any, timeout_s: float, restore: list[str]) -> None:
    ms = max(1, int(timeout_s * 1000))
    db.exec_driver_sql(f"SET SESSION sql_mode = '{MYSQL_SQL_MODE}'")
    if _is_mariadb(db):
        db.exec_driver_sql(f"SET SESSION max_statement_time = {ms / 1000:.3f}")
    else:
        db.exec_driver_sql(f"SET SESSION max_execution_time = {ms}")
    db.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    restore.append("SET SESSION TRANSACTION READ WRITE")
    db.exec_driver_sql("START TRANSACTION READ ONLY")
    # PyMySQL has no public setter; these are read on every socket operation.
    dbapi._read_timeout = timeout_s + CLIENT_GRACE_S
    dbapi._write_timeout = timeout_s + CLIENT_GRACE_S


@contextmanager
def pinned_session(
    db: Connection, dialect: str, timeout_s: float, schemas: Sequence[str] | None = None
) -> Iterator[Deadline]:
    """Put ``db`` in a pinned read-only transaction with a time limit; always roll back and reset afterwards.

    ``schemas`` (PostgreSQL): the search path becomes ``pg_catalog`` plus these schemas only."""
    ms = max(1, int(timeout_s * 1000))
    dbapi: Any = db.connection.dbapi_connection  # the driver's own connection (attributes differ per driver)
    deadline = Deadline(dbapi, dialect, timeout_s)
    restore: list[str] = []
    try:
        if dialect == "sqlite":
            db.exec_driver_sql("PRAGMA query_only = ON")
            db.exec_driver_sql(f"PRAGMA busy_timeout = {ms}")
            limit_sqlite_values(dbapi)
        elif dialect == "postgres":
            _pin_postgres(db, ms, schemas)
        elif dialect == "mysql":
            _pin_mysql(db, dbapi, timeout_s, restore)
        elif dialect == "oracle":
            db.exec_driver_sql("SET TRANSACTION READ ONLY")
            if hasattr(dbapi, "call_timeout"):
                dbapi.call_timeout = ms
        elif dialect == "tsql" and hasattr(dbapi, "timeout"):
            dbapi.timeout = max(1, round(timeout_s))  # pyodbc; pymssql has no per-statement timeout
        yield deadline
    finally:
        deadline.finish()
        if deadline.cancel_sent:  # a cancel request may still land on the backend's next statement: drop it
            db.invalidate()
        _end_session(db, dialect, dbapi, restore)


def _end_session(db: Connection, dialect: str, dbapi: Any, restore: list[str]) -> None:
    if db.invalidated:
        return  # already discarded (a stream stopped early)
    try:
        db.rollback()
        if dialect == "postgres":
            _discard_all(dbapi)
        elif dialect == "mysql":
            _reset_mysql(dbapi)
        else:
            for statement in restore:
                db.exec_driver_sql(statement)
            db.rollback()
        if dialect == "oracle" and hasattr(dbapi, "call_timeout"):
            dbapi.call_timeout = 0
    except (SQLAlchemyError, OSError) as error:  # a broken session must never return to the pool
        log.warning("could not reset %s session, discarding the connection: %s", dialect, error)
        db.invalidate()
    except Exception as error:
        log.warning("could not reset %s session, discarding the connection: %s", dialect, error)
        db.invalidate()


def _discard_all(dbapi: Any) -> None:
    """``DISCARD ALL`` cannot run inside a transaction: run it in autocommit, then restore the mode."""
    previous = dbapi.autocommit
    dbapi.autocommit = True
    try:
        with dbapi.cursor() as cursor:
            cursor.execute("DISCARD ALL")
    finally:
        dbapi.autocommit = previous


def _reset_mysql(dbapi: Any) -> None:
    """``COM_RESET_CONNECTION``, then the connection's own charset and autocommit mode again (PyMySQL)."""
    dbapi._execute_command(_COM_RESET_CONNECTION, b"")
    dbapi._read_ok_packet()
    dbapi.set_character_set(dbapi.charset, getattr(dbapi, "collation", None))
    dbapi.autocommit(dbapi.autocommit_mode)
    dbapi._read_timeout = None
    dbapi._write_timeout = None
