"""Tables of the app database owned by ``vozbd`` (SQLAlchemy Core). Alembic migrations create them.

Other packages keep their tables on their own ``MetaData`` (e.g. ``tools.memory``); ``migrations/env.py``
lists every MetaData so autogenerate sees the whole schema.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text

from vozbd_core.tables import app_metadata, id_column

metadata = app_metadata()

MAX_CONVERSATION_ID = 128
"""Characters of a conversation id (the column's width; the API's pattern and the CLI's check say the same)."""

conversation_logs = Table(
    "conversation_logs",
    metadata,
    id_column(),
    Column("turn_id", String(64), nullable=False, unique=True, comment="Idempotency key of the turn."),
    Column("conversation_id", String(MAX_CONVERSATION_ID), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(255), nullable=True, comment="Authenticated user, or the API key's id (never the key)."),
    Column("surface", String(16), nullable=False, comment="ui, api, voice, cli or mcp."),
    Column("input_mode", String(8), nullable=False, comment="text or voice."),
    Column("connection", String(255), nullable=True),
    Column("transcript", Text, nullable=True),
    Column("question", Text, nullable=True),
    Column("sql", Text, nullable=True, comment="The last SQL that ran (the successful one when there is one)."),
    Column("row_count", Integer, nullable=True),
    Column("answer", Text, nullable=True),
    Column("model", String(255), nullable=True),
    Column("timings", JSON, nullable=True, comment="Per-stage milliseconds (stt_ms, llm_first_token_ms, ...)."),
    Column("error", String(64), nullable=True, comment="Error code of the turn, if it failed."),
    Column("error_message", Text, nullable=True),
    Index("ix_conversation_logs_conversation_created", "conversation_id", "created_at"),
    Index("ix_conversation_logs_user_created", "user_id", "created_at"),
    Index("ix_conversation_logs_created_at", "created_at"),
)


query_audit = Table(
    "query_audit",
    metadata,
    id_column(),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("surface", String(16), nullable=False, comment="mcp, api, ui, cli, agent or unknown."),
    Column("user_id", String(255), nullable=True, comment="User name or API key id (never a secret)."),
    Column("tool", String(32), nullable=False, comment="run_query or explain_query."),
    Column("connection", String(255), nullable=False, comment="Connection name (a URL only masked)."),
    Column("sql", Text, nullable=False, comment="The SQL text as submitted."),
    Column("outcome", String(16), nullable=False, comment="ok, refused, error or timeout."),
    Column("error_code", String(64), nullable=True),
    Column("row_count", Integer, nullable=True),
    Column("elapsed_ms", Float, nullable=True),
    Index("ix_query_audit_created_at", "created_at"),
    Index("ix_query_audit_connection_created", "connection", "created_at"),
)


def all_metadata() -> list[MetaData]:
    """Every MetaData whose tables live in the app database (the migrations' target)."""
    from tools.db.registry import metadata as registry_metadata
    from tools.memory.models import metadata as memory_metadata

    return [metadata, memory_metadata, registry_metadata]


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic filter: only tables on our MetaData (LangGraph's checkpoint tables and Chainlit's manage themselves)."""
    if type_ != "table":
        return True
    return any(name in metadata.tables for metadata in all_metadata())
