"""One SQLAlchemy engine for the app database, tuned per backend.

SQLite: the file's folder is created, WAL journal + ``busy_timeout`` so several threads (and processes) can
write concurrently. PostgreSQL: ``pool_pre_ping`` so a connection killed by the server (restart, failover,
``pg_terminate_backend``) is replaced at checkout instead of failing the next request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from vozbd.appdb.errors import AppDatabaseConfigError
from vozbd.appdb.urls import normalize_app_db_url

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
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": max_overflow}
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5, "application_name": "vozbd"}
        return create_engine(parsed, **kwargs)
    except NoSuchModuleError as error:
        raise AppDatabaseConfigError(
            f"VOZBD_DATABASE_URL usa um driver não instalado ({parsed.drivername}).",
            detail={"reason": str(error)},
        ) from error


def _sqlite_engine(database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
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
