"""query_audit: every SQL statement run by a tool, on every surface (vozbd audit)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "query_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surface", sa.String(16), nullable=False, comment="mcp, api, ui, cli, agent or unknown."),
        sa.Column("user_id", sa.String(255), nullable=True, comment="User name or API key id (never a secret)."),
        sa.Column("tool", sa.String(32), nullable=False, comment="run_query or explain_query."),
        sa.Column("connection", sa.String(255), nullable=False, comment="Connection name (a URL only masked)."),
        sa.Column("sql", sa.Text, nullable=False, comment="The SQL text as submitted."),
        sa.Column("outcome", sa.String(16), nullable=False, comment="ok, refused, error or timeout."),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("row_count", sa.Integer, nullable=True),
        sa.Column("elapsed_ms", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_query_audit"),
    )
    op.create_index("ix_query_audit_created_at", "query_audit", ["created_at"])
    op.create_index("ix_query_audit_connection_created", "query_audit", ["connection", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_query_audit_connection_created", table_name="query_audit")
    op.drop_index("ix_query_audit_created_at", table_name="query_audit")
    op.drop_table("query_audit")
