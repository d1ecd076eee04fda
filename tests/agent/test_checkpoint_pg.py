"""``PooledPostgresSaver`` writes the rows LangGraph's own ``AsyncPostgresSaver`` writes, and one saver serves
concurrent turns over a small pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import Checkpoint, create_checkpoint, empty_checkpoint
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from agent.checkpoint import PostgresCheckpoints
from agent.checkpoint_pg import PooledPostgresSaver


@pytest.fixture
def conninfo(fresh_pg_url: str) -> Iterator[str]:
    url = fresh_pg_url.replace("postgresql+psycopg://", "postgresql://")
    PostgresCheckpoints(url).setup()
    yield url


@pytest.fixture
async def pool(conninfo: str) -> AsyncIterator[AsyncConnectionPool]:
    kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    async with AsyncConnectionPool(conninfo, min_size=1, max_size=2, kwargs=kwargs, open=False) as opened:
        yield opened


def _checkpoint(step: int, messages: list[Any]) -> Checkpoint:
    base = empty_checkpoint()
    base["channel_values"] = {"messages": messages, "question": "Quantos clientes?", "rows": 3, "chart": None}
    base["channel_versions"] = {"messages": f"{step:032}.0.1", "question": f"{step:032}.0.2", "rows": f"{step:032}.0.3"}
    return create_checkpoint(base, None, step)


def _rows(conninfo: str, thread: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with psycopg.connect(conninfo) as conn:
        checkpoints = conn.execute(
            "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata FROM checkpoints "
            "WHERE thread_id = %s ORDER BY checkpoint_id",
            (thread,),
        ).fetchall()
        blobs = conn.execute(
            "SELECT checkpoint_ns, channel, version, type, blob FROM checkpoint_blobs "
            "WHERE thread_id = %s ORDER BY channel, version",
            (thread,),
        ).fetchall()
    return checkpoints, blobs


async def test_same_rows_as_the_library_saver_and_readable_by_it(conninfo: str, pool: AsyncConnectionPool) -> None:
    ours = PooledPostgresSaver(pool)
    library = AsyncPostgresSaver(pool)
    first = _checkpoint(1, [HumanMessage("Quantos clientes temos?", id="h1")])
    second = _checkpoint(2, [HumanMessage("Quantos clientes temos?", id="h1"), AIMessage("Temos 3.", id="a1")])
    for saver, thread in ((ours, "ours"), (library, "library")):
        config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        config = await saver.aput(config, first, {"source": "input", "step": 1}, first["channel_versions"])
        versions = {"messages": second["channel_versions"]["messages"]}  # only one channel changed
        await saver.aput(config, second, {"source": "loop", "step": 2}, versions)
    assert _rows(conninfo, "ours") == _rows(conninfo, "library")
    checkpoints, blobs = _rows(conninfo, "ours")
    assert len(checkpoints) == 2 and checkpoints[1][2] == checkpoints[0][1]  # the second's parent is the first
    assert [b[1] for b in blobs] == ["messages", "messages"]  # primitives stay inline in the checkpoint

    for reader in (library, ours):
        back = await reader.aget_tuple({"configurable": {"thread_id": "ours", "checkpoint_ns": ""}})
        assert back is not None
        assert [m.content for m in back.checkpoint["channel_values"]["messages"]] == [
            "Quantos clientes temos?",
            "Temos 3.",
        ]
        assert back.checkpoint["channel_values"]["rows"] == 3 and back.metadata["step"] == 2
        assert back.parent_config is not None and back.pending_writes == []


async def test_one_saver_serves_concurrent_turns_over_a_small_pool(pool: AsyncConnectionPool) -> None:
    saver = PooledPostgresSaver(pool)

    async def turn(n: int) -> str:
        config: Any = {"configurable": {"thread_id": f"t{n}", "checkpoint_ns": ""}}
        assert await saver.aget_tuple(config) is None
        checkpoint = _checkpoint(1, [HumanMessage(f"pergunta {n}", id=f"h{n}")])
        await saver.aput(config, checkpoint, {"source": "input", "step": 1}, checkpoint["channel_versions"])
        back = await saver.aget_tuple(config)
        assert back is not None
        return str(back.checkpoint["channel_values"]["messages"][0].content)

    answers = await asyncio.gather(*(turn(n) for n in range(20)))
    assert answers == [f"pergunta {n}" for n in range(20)]


async def test_the_server_pool_does_not_wait_for_the_wal_flush(conninfo: str) -> None:
    store = PostgresCheckpoints(conninfo)
    await store.open()
    try:
        assert store._pool is not None
        async with store._pool.connection() as conn:
            row = await (await conn.execute("SHOW synchronous_commit")).fetchone()
        assert row is not None and row["synchronous_commit"] == "off"
    finally:
        await store.close()


async def test_text_with_a_nul_character_is_saved_and_read_back(pool: AsyncConnectionPool) -> None:
    """JSONB refuses U+0000: a question (or a sampled database value) holding one must not fail the turn."""
    saver = PooledPostgresSaver(pool)
    checkpoint = _checkpoint(1, [HumanMessage("Ana\x00Maria", id="h1")])
    checkpoint["channel_values"]["question"] = "quantos clientes\x00?"
    config: Any = {"configurable": {"thread_id": "nul", "checkpoint_ns": ""}}
    await saver.aput(config, checkpoint, {"source": "input", "step": 1}, checkpoint["channel_versions"])
    back = await saver.aget_tuple(config)
    assert back is not None
    assert back.checkpoint["channel_values"]["question"] == "quantos clientes\x00?"  # exact, not scrubbed
    assert back.checkpoint["channel_values"]["messages"][0].content == "Ana\x00Maria"
    assert back.checkpoint["channel_values"]["rows"] == 3
