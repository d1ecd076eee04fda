"""One SQLAlchemy engine for the app database, tuned per backend.

SQLite: the file's folder is created, WAL journal + ``busy_timeout`` so several threads (and processes) can
write concurrently. PostgreSQL: a connection killed by the server (restart, failover, ``pg_terminate_backend``)
is replaced at checkout instead of failing the next request; the check polls the idle socket (no round trip,
``vozbd_core.liveness``) instead of ``pool_pre_ping``'s ``SELECT`` per checkout. A backend that dies in the middle
of a statement fails that statement; SQLAlchemy then sees a disconnect and invalidates the pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, NoSuchModuleError

from vozbd.appdb.errors import AppDatabaseConfigError
from vozbd.appdb.urls import normalize_app_db_url
from vozbd_core.liveness import idle_connection_dropped

SQLITE_BUSY_TIMEOUT_MS = 15_000


def create_app_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """An engine for ``url`` (see module doc). Raises ``AppDatabaseConfigError`` for a malformed URL."""
    url = normalize_app_db_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise AppDatabaseConfigError(
            "VOZBD_DATABASE_URL inválida: use sqlite:///caminho/arquivo.sqlite3 ou postgresql://usuario@host/banco.",
            detail={"reason": str(error)},
        ) from error
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed.database)
        kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": max_overflow}
        if parsed.get_backend_name() != "postgresql":
            return create_engine(parsed, pool_pre_ping=True, **kwargs)
        engine = create_engine(parsed, connect_args={"connect_timeout": 5, "application_name": "vozbd"}, **kwargs)
        event.listen(engine, "connect", _mark_fresh)
        event.listen(engine, "checkout", _replace_dropped)
        return engine
    except (NoSuchModuleError, ImportError) as error:  # ImportError: a known dialect whose DBAPI is missing
        raise AppDatabaseConfigError(
            f"VOZBD_DATABASE_URL usa um driver não instalado ({parsed.drivername}).",
            detail={"reason": str(error)},
        ) from error


_FRESH = "vozbd_fresh"


def _mark_fresh(_dbapi_connection: Any, record: Any) -> None:
    record.info[_FRESH] = True


def _replace_dropped(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Checkout hook: a pooled connection whose backend is gone is reconnected by the pool (it retries on
    ``DisconnectionError``), not handed to the caller. A connection made for this checkout is not polled (as
    ``pool_pre_ping`` skips fresh ones): the pool reconnects only once per checkout, and a second failure would
    surface as SQLAlchemy's ``InvalidRequestError`` instead of a database error (mapped to 503 and retried)."""
    if record.info.pop(_FRESH, False):
        return
    if dbapi_connection.closed or idle_connection_dropped(dbapi_connection.fileno()):
        raise DisconnectionError("the app database closed this pooled connection")


def _sqlite_engine(database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise AppDatabaseConfigError(
                f"VOZBD_DATABASE_URL: não consegui criar a pasta do banco SQLite ({folder}): {error.strerror}.",
                detail={"reason": f"{type(error).__name__}: {error}"},
            ) from error
        target = f"sqlite:///{Path(database).expanduser()}"
    else:
        target = f"sqlite:///{database or ''}"
    engine = create_engine(target, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
