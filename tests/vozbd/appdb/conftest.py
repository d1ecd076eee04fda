"""App database fixtures: a migrated app database on SQLite (tmp file) and on the session's PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from vozbd.appdb.database import AppDatabase, open_app_database


def _fresh_pg(pg_url: str) -> None:
    # Each test starts from an empty public schema (the session's PG database is shared by the module's tests).
    database = open_app_database(pg_url, migrate=False)
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app' / 'app.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    _fresh_pg(url)
    return url


@pytest.fixture
def app_db(app_db_url: str) -> Iterator[AppDatabase]:
    """A migrated app database on each backend."""
    database = open_app_database(app_db_url)
    yield database
    database.dispose()
