"""App database fixtures: a migrated app database on SQLite (tmp file) and on the session's PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vozbd.appdb.database import AppDatabase, open_app_database


@pytest.fixture(params=["sqlite", "postgresql"])
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app' / 'app.sqlite3'}"
    url: str = request.getfixturevalue("fresh_pg_url")
    return url


@pytest.fixture
def app_db(app_db_url: str) -> Iterator[AppDatabase]:
    """A migrated app database on each backend."""
    database = open_app_database(app_db_url)
    yield database
    database.dispose()
