"""Conventions of the app database's tables, shared by every package that keeps tables there.

``vozbd.appdb`` (conversation logs, query audit) and ``tools.memory`` (verified examples, glossary) each keep
their tables on their own ``MetaData`` (the memory store creates only its own tables when the migrations have not
run), but both follow one naming convention and one surrogate-key column, so Alembic names constraints alike.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def app_metadata() -> MetaData:
    """A new ``MetaData`` for tables of the app database, with the shared naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def id_column() -> Column[int]:
    """The surrogate primary key every app table has: BIGINT (INTEGER on SQLite, so it autoincrements)."""
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
