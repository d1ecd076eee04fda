"""Alembic migrations: create the schema on SQLite and PostgreSQL, are idempotent, and match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from vozbd.appdb.database import open_app_database
from vozbd.appdb.engine import create_app_engine
from vozbd.appdb.migrate import alembic_config, head_revisions, upgrade
from vozbd.appdb.models import all_metadata, include_name


def test_upgrade_creates_tables_then_is_a_no_op(app_db_url: str) -> None:
    engine = create_app_engine(app_db_url)
    try:
        before, after = upgrade(engine)
        assert before == set() and after == head_revisions()
        tables = inspect(engine).get_table_names()
        assert "conversation_logs" in tables
        if engine.dialect.name == "postgresql":  # LangGraph's memory lives in the app database too
            assert {"checkpoints", "checkpoint_writes", "checkpoint_migrations"} <= set(tables)
        assert upgrade(engine) == (after, after)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(app_db_url: str) -> None:
    """A column added to a model without a migration (or the reverse) fails here."""
    database = open_app_database(app_db_url)
    try:
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            diffs = compare_metadata(context, all_metadata())  # type: ignore[arg-type]  # a sequence works too
        assert diffs == []
    finally:
        database.dispose()


def test_downgrade_to_base_and_back(app_db_url: str) -> None:
    engine = create_app_engine(app_db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            conn.commit()
        assert "conversation_logs" not in inspect(engine).get_table_names()
        assert upgrade(engine) == (set(), head_revisions())
    finally:
        engine.dispose()


def test_upgrade_adopts_memory_tables_created_before_the_migrations(app_db_url: str) -> None:
    """``MemoryStore`` may have created its tables with create_all on an older install: upgrade keeps them."""
    from tools.memory import MemoryStore

    engine = create_app_engine(app_db_url)
    try:
        store = MemoryStore(engine)
        store.add_example("demo", "quantos clientes?", "SELECT COUNT(*) FROM clientes")
        assert upgrade(engine)[1] == head_revisions()
        assert {"verified_examples", "glossary_terms", "conversation_logs"} <= set(inspect(engine).get_table_names())
        assert [e.question for e in MemoryStore(engine, create_tables=False).list_examples("demo")] == [
            "quantos clientes?"
        ]
    finally:
        engine.dispose()
