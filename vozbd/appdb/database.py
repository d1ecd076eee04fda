"""``AppDatabase``: the migrated engine plus the repositories built on it (one per process, from wiring)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from vozbd.appdb.engine import create_app_engine
from vozbd.appdb.logs import ConversationLogStore
from vozbd.appdb.migrate import upgrade


@dataclass(frozen=True)
class AppDatabase:
    engine: Engine
    logs: ConversationLogStore

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def safe_url(self) -> str:
        """The URL with the password masked (for logs and diagnostics)."""
        return make_url(self.engine.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def open_app_database(url: str, *, migrate: bool = True) -> AppDatabase:
    """Engine for ``url`` migrated to head (unless ``migrate=False``), with its repositories.

    Raises ``AppDatabaseConfigError`` (bad URL / driver) or ``AppDatabaseError`` (unreachable).
    """
    engine = create_app_engine(url)
    try:
        if migrate:
            upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return AppDatabase(engine=engine, logs=ConversationLogStore(engine))
