"""Run the app database's Alembic migrations up to head (at every start and with ``vozbd db-upgrade``).

Several replicas may start at once against one PostgreSQL: a session advisory lock serialises them, so the
first migrates and the others find the schema already at head.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from psycopg import OperationalError as PsycopgOperationalError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError
from vozbd.appdb.urls import libpq_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x766F7A6264  # "vozbd"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def setup_postgres_checkpoints(engine: Engine) -> bool:
    """Create/migrate LangGraph's checkpoint tables in the app database when its Postgres saver is installed."""
    try:
        from agent.checkpoint import PostgresCheckpoints
    except ImportError:  # the agent extra is not installed: no conversation memory to store
        return False
    try:
        PostgresCheckpoints(libpq_url(engine.url.render_as_string(hide_password=False))).setup()
    except ImportError:
        log.warning("langgraph-checkpoint-postgres is not installed: conversation memory stays in SQLite")
        return False
    return True


def upgrade(engine: Engine, revision: str = "head") -> tuple[set[str], set[str]]:
    """Migrate to ``revision``; returns (revisions before, revisions after). ``AppDatabaseError`` if unreachable."""
    try:
        with engine.connect() as connection:
            postgres = engine.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
            try:
                if postgres:
                    setup_postgres_checkpoints(engine)
                before = current_revisions(connection)
                connection.commit()
                if revision == "head" and before == head_revisions():
                    return before, before
                config = alembic_config()
                config.attributes["connection"] = connection
                try:
                    command.upgrade(config, revision)
                except CommandError as error:  # a revision that does not exist, or a relative one that overshoots
                    known = sorted(r.revision for r in ScriptDirectory.from_config(config).walk_revisions())
                    raise AppDatabaseConfigError(
                        f"Revisão de migração inválida: '{revision[:80]}'. Use head (o padrão) ou uma destas: "
                        f"{', '.join(known)}.",
                        detail={"reason": str(error)},
                    ) from None
                connection.commit()
                after = current_revisions(connection)
                connection.commit()
                log.info("app database migrated: %s -> %s", sorted(before) or "empty", sorted(after))
                return before, after
            finally:
                if postgres:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                    connection.commit()
    except (OperationalError, PsycopgOperationalError) as error:
        url = engine.url.render_as_string(hide_password=True)
        raise AppDatabaseError(
            detail={"url": url, "reason": str(getattr(error, "orig", None) or error).strip()}
        ) from error
