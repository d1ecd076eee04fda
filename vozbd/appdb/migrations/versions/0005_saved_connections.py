"""saved_connections: the connections added with db add / POST /api/v1/connections, shared by replicas

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Used when the app database is PostgreSQL (every replica sees the same adds and deletes); on the SQLite default
the connections stay in their own file (``VOZBD_REGISTRY_PATH``) and this table stays empty. Passwords are
Fernet tokens, as in the file: replicas must share ``VOZBD_SECRET_KEY``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_connections",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("dialect", sa.String(32), nullable=False),
        sa.Column("url", sa.Text, nullable=False, comment="The database URL without its password."),
        sa.Column("password_token", sa.Text, nullable=True, comment="The password, Fernet-encrypted."),
        sa.Column("allow_privileged", sa.Boolean, nullable=False),
        sa.Column("ssh", sa.Text, nullable=True, comment="SSH tunnel options as JSON (no secret)."),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("name", name="pk_saved_connections"),
    )


def downgrade() -> None:
    op.drop_table("saved_connections")
