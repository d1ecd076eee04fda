"""verified_examples and glossary_terms: the per-connection memory of tools/memory

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

``MemoryStore`` may have created these tables (``create_all``) before this migration existed: then they are
left as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False, autoincrement=True)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "verified_examples" not in existing:
        op.create_table(
            "verified_examples",
            _id(),
            sa.Column("connection", sa.String(255), nullable=False, comment="Saved connection name (or masked URL)."),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column(
                "question_key", sa.String(512), nullable=False, comment="Folded words of the question (duplicates)."
            ),
            sa.Column("sql", sa.Text, nullable=False, comment="SQL the user confirmed answers the question."),
            sa.Column(
                "skeleton", sa.Text, nullable=False, comment="The SQL with names and literals blanked (DAIL-SQL)."
            ),
            sa.Column("source", sa.String(16), nullable=False, comment="ui (thumbs up), cli or suite."),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_verified_examples"),
            sa.UniqueConstraint("connection", "question_key", name="uq_verified_examples_connection_question"),
        )
        op.create_index("ix_verified_examples_connection", "verified_examples", ["connection"])
    if "glossary_terms" not in existing:
        op.create_table(
            "glossary_terms",
            _id(),
            sa.Column("connection", sa.String(255), nullable=False),
            sa.Column("term", sa.String(200), nullable=False, comment='A business term as people say it ("atrasado").'),
            sa.Column("term_key", sa.String(200), nullable=False, comment="Folded words of the term."),
            sa.Column(
                "definition",
                sa.Text,
                nullable=False,
                comment='What it means in this database ("data_entrega > ...").',
            ),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_glossary_terms"),
            sa.UniqueConstraint("connection", "term_key", name="uq_glossary_terms_connection_term"),
        )
        op.create_index("ix_glossary_terms_connection", "glossary_terms", ["connection"])


def downgrade() -> None:
    op.drop_table("glossary_terms")
    op.drop_table("verified_examples")
