"""Scale-out fixtures: one PostgreSQL app database per module, served by real processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.conftest import _pg_database
from vozbd.appdb.database import AppDatabase, open_app_database


@pytest.fixture(scope="module")
def shared_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database shared by the processes of one test module."""
    yield from _pg_database()


@pytest.fixture(scope="module")
def app_db(shared_pg_url: str) -> Iterator[AppDatabase]:
    """The tests' own handle on the app database (migrated; the servers find it at head)."""
    database = open_app_database(shared_pg_url)
    yield database
    database.dispose()


def logged_conversations(app_db: AppDatabase) -> set[str]:
    with app_db.engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT conversation_id FROM conversation_logs"))}
