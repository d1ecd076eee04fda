"""Tables of the verified-examples memory and the glossary, on their own ``MetaData``.

They live in the app database (``VOZBD_DATABASE_URL``); the app's Alembic migrations import ``metadata`` from
here. ``MemoryStore.ensure_tables()`` creates them when missing (``checkfirst``) so the store also works on a
database the migrations have not reached yet.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, String, Table, Text, UniqueConstraint

from vozbd_core.tables import app_metadata, id_column

metadata = app_metadata()

verified_examples = Table(
    "verified_examples",
    metadata,
    id_column(),
    Column("connection", String(255), nullable=False, comment="Saved connection name (or masked URL)."),
    Column("question", Text, nullable=False),
    Column("question_key", String(512), nullable=False, comment="Folded words of the question (duplicates)."),
    Column("sql", Text, nullable=False, comment="SQL the user confirmed answers the question."),
    Column("skeleton", Text, nullable=False, comment="The SQL with names and literals blanked (DAIL-SQL)."),
    Column("source", String(16), nullable=False, comment="ui (thumbs up), cli or suite."),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("connection", "question_key", name="uq_verified_examples_connection_question"),
    Index("ix_verified_examples_connection", "connection"),
)

glossary_terms = Table(
    "glossary_terms",
    metadata,
    id_column(),
    Column("connection", String(255), nullable=False),
    Column("term", String(200), nullable=False, comment='A business term as people say it ("atrasado").'),
    Column("term_key", String(200), nullable=False, comment="Folded words of the term."),
    Column("definition", Text, nullable=False, comment='What it means in this database ("data_entrega > ...").'),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("connection", "term_key", name="uq_glossary_terms_connection_term"),
    Index("ix_glossary_terms_connection", "connection"),
)
