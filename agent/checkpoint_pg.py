"""``PooledPostgresSaver``: LangGraph's ``AsyncPostgresSaver`` on a connection pool, cheaper per turn.

Same tables, rows and reads as ``langgraph-checkpoint-postgres`` (pinned in ``requirements.lock``; a test writes
the same checkpoint through both and compares the rows). What changes, per turn of ``POST /api/v1/ask``:

- no saver-wide lock: the library serialises every operation of a saver on one ``asyncio.Lock`` (needed when the
  saver owns a single connection, not over a pool), so a server had to build a saver per turn; one saver now
  serves every turn, and the agent's compiled-graph copy for it is reused;
- ``aput`` is one statement: the blobs' insert runs as a data-modifying CTE in front of the checkpoint's upsert,
  instead of a psycopg pipeline (``executemany`` of the blobs + the upsert + a sync), whose Python machinery cost
  about a millisecond of CPU per turn;
- (de)serialisation runs inline instead of through ``asyncio.to_thread``: a turn's blobs are a few kilobytes,
  and the serializer holds the GIL anyway, so the thread hop only added a wake-up and a hand-over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from psycopg import AsyncConnection, AsyncCursor

# The library's UPSERT_CHECKPOINT_BLOBS_SQL (one row per blob, ON CONFLICT DO NOTHING) and UPSERT_CHECKPOINTS_SQL,
# as one statement: the blob rows arrive as four parallel arrays.
PUT_CHECKPOINT_SQL = """
WITH blobs AS (
    INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT %(thread_id)s, %(checkpoint_ns)s, b.channel, b.version, b.type, b.blob
    FROM unnest(%(channels)s::text[], %(versions)s::text[], %(types)s::text[], %(blobs)s::bytea[])
        AS b(channel, version, type, blob)
    ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
)
INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
VALUES (%(thread_id)s, %(checkpoint_ns)s, %(checkpoint_id)s, %(parent_checkpoint_id)s, %(checkpoint)s, %(metadata)s)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
"""


class PooledPostgresSaver(AsyncPostgresSaver):
    """``AsyncPostgresSaver`` over an ``AsyncConnectionPool``, safe to share between concurrent turns."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[DictRow]]):
        super().__init__(pool)

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        """The library's ``_cursor`` without ``self.lock``: each operation checks out a connection of its own."""
        pool = self.conn
        assert isinstance(pool, AsyncConnectionPool)
        async with pool.connection() as conn:
            if pipeline and self.supports_pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            elif pipeline:
                async with conn.transaction(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Save a checkpoint (and its new channel blobs) in one statement; returns the checkpoint's config."""
        configurable = config["configurable"]
        thread_id = configurable["thread_id"]
        checkpoint_ns = configurable["checkpoint_ns"]
        # As the library: primitive channel values stay inline in the checkpoint, others become blobs.
        copy = checkpoint.copy()
        inline = copy["channel_values"] = copy["channel_values"].copy()
        blob_values: dict[str, Any] = {}
        for key, value in checkpoint["channel_values"].items():
            if isinstance(value, _DeltaSnapshot):
                blob_values[key] = inline.pop(key)
                inline[key] = True
            elif isinstance(value, str) and "\x00" in value:
                blob_values[key] = inline.pop(key)  # JSONB cannot hold U+0000: a blob keeps the text exact
            elif value is None or isinstance(value, (str, int, float, bool)):
                pass
            else:
                blob_values[key] = inline.pop(key)
        blob_versions = {k: v for k, v in new_versions.items() if k in blob_values}
        rows = self._dump_blobs(thread_id, checkpoint_ns, blob_values, blob_versions)
        params = {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "channels": [row[2] for row in rows],
            "versions": [row[3] for row in rows],
            "types": [row[4] for row in rows],
            "blobs": [row[5] for row in rows],
            "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": configurable.get("checkpoint_id"),
            "checkpoint": Jsonb(copy),
            "metadata": Jsonb(get_serializable_checkpoint_metadata(config, metadata)),
        }
        async with self._cursor() as cur:
            await cur.execute(PUT_CHECKPOINT_SQL, params)
        return {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns, "checkpoint_id": checkpoint["id"]}
        }

    async def _load_checkpoint_tuple(self, value: DictRow) -> CheckpointTuple:
        """The library's, with the pending writes decoded inline instead of in a worker thread."""
        checkpoint = value["checkpoint"]
        parent = value["parent_checkpoint_id"]
        thread = {"thread_id": value["thread_id"], "checkpoint_ns": value["checkpoint_ns"]}
        channel_values = {**(checkpoint.get("channel_values") or {}), **self._load_blobs(value["channel_values"])}
        return CheckpointTuple(
            {"configurable": {**thread, "checkpoint_id": value["checkpoint_id"]}},
            cast("Checkpoint", {**checkpoint, "channel_values": channel_values}),
            value["metadata"],
            {"configurable": {**thread, "checkpoint_id": parent}} if parent else None,
            self._load_writes(value["pending_writes"]),
        )
