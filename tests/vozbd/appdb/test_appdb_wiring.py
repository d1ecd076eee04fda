"""The composition root picks the memory store from the app database URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.checkpoint import PostgresCheckpoints, SqliteCheckpoints
from vozbd.appdb.urls import libpq_url, normalize_app_db_url
from vozbd.settings import Settings
from vozbd.wiring import checkpoint_store


def test_sqlite_app_database_keeps_memory_in_the_checkpoint_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = checkpoint_store(settings)
    assert isinstance(store, SqliteCheckpoints) and store.path == settings.checkpoint_file
    assert settings.app_database_url == f"sqlite:///{tmp_path / 'app.sqlite3'}"


@pytest.mark.parametrize(
    "url", ["postgres://u:p@db:5432/vozbd", "postgresql://u:p@db:5432/vozbd", "postgresql+psycopg://u:p@db:5432/vozbd"]
)
def test_postgres_app_database_keeps_memory_there(tmp_path: Path, url: str) -> None:
    settings = Settings(data_dir=tmp_path, database_url=url)  # type: ignore[arg-type]  # pydantic parses the URL string
    assert settings.app_database_url == "postgresql+psycopg://u:p@db:5432/vozbd"
    store = checkpoint_store(settings)
    assert isinstance(store, PostgresCheckpoints) and store.conninfo == "postgresql://u:p@db:5432/vozbd"


def test_url_helpers() -> None:
    assert normalize_app_db_url(" sqlite:///x.db ") == "sqlite:///x.db"
    assert libpq_url("postgresql+psycopg://u@h/d?sslmode=require") == "postgresql://u@h/d?sslmode=require"
    with pytest.raises(ValueError):
        libpq_url("sqlite:///x.db")
