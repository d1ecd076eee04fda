"""conversation_logs: one row per agent turn on every surface

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_logs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False, autoincrement=True),
        sa.Column("turn_id", sa.String(64), nullable=False, comment="Idempotency key of the turn."),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "user_id",
            sa.String(255),
            nullable=True,
            comment="Authenticated user, or the API key's id (never the key).",
        ),
        sa.Column("surface", sa.String(16), nullable=False, comment="ui, api, voice, cli or mcp."),
        sa.Column("input_mode", sa.String(8), nullable=False, comment="text or voice."),
        sa.Column("connection", sa.String(255), nullable=True),
        sa.Column("transcript", sa.Text, nullable=True),
        sa.Column("question", sa.Text, nullable=True),
        sa.Column(
            "sql", sa.Text, nullable=True, comment="The last SQL that ran (the successful one when there is one)."
        ),
        sa.Column("row_count", sa.Integer, nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column(
            "timings", sa.JSON, nullable=True, comment="Per-stage milliseconds (stt_ms, llm_first_token_ms, ...)."
        ),
        sa.Column("error", sa.String(64), nullable=True, comment="Error code of the turn, if it failed."),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_logs"),
        sa.UniqueConstraint("turn_id", name="uq_conversation_logs_turn_id"),
    )
    op.create_index("ix_conversation_logs_conversation_created", "conversation_logs", ["conversation_id", "created_at"])
    op.create_index("ix_conversation_logs_user_created", "conversation_logs", ["user_id", "created_at"])
    op.create_index("ix_conversation_logs_created_at", "conversation_logs", ["created_at"])


def downgrade() -> None:
    op.drop_table("conversation_logs")
