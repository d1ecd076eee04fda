"""Memory in PostgreSQL: a conversation continues after a restart, on another agent, with or without a pool."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import psycopg
import pytest
from langchain_core.messages import HumanMessage

from agent.checkpoint import APPLICATION_NAME, MemoryUnavailableError, PostgresCheckpoints
from agent.service import Agent
from tests.agent.helpers import calls_of, scripted
from tests.agent.test_memory import APRIL, SCRIPT


@pytest.fixture
def checkpoints(fresh_pg_url: str) -> Iterator[PostgresCheckpoints]:
    conninfo = fresh_pg_url.replace("postgresql+psycopg://", "postgresql://")
    store = PostgresCheckpoints(conninfo)
    store.setup()
    store.setup()  # idempotent
    yield store


async def test_follow_up_continues_on_another_agent(
    make_agent: Callable[..., Agent], checkpoints: PostgresCheckpoints
) -> None:
    first = await make_agent(scripted(script=SCRIPT), checkpointer=checkpoints).ask(
        question="Quantos pedidos tivemos em maio?", conversation_id="pg-1"
    )
    assert first.answer.startswith("Foram ")

    # Another process would build its own store on the same database: use a new one, with a pool.
    other = PostgresCheckpoints(checkpoints.conninfo)
    await other.open()
    try:
        model = scripted(script=SCRIPT)
        second = await make_agent(model, checkpointer=other).ask(question="E no mês passado?", conversation_id="pg-1")
    finally:
        await other.close()
    assert "abril" in second.answer and second.sql_runs[0]["statement"] == APRIL
    human = [m.text for m in calls_of(model)[0] if isinstance(m, HumanMessage)]
    assert human == ["Quantos pedidos tivemos em maio?", "E no mês passado?"]


async def test_pool_survives_terminated_backends(
    make_agent: Callable[..., Agent], checkpoints: PostgresCheckpoints
) -> None:
    store = PostgresCheckpoints(checkpoints.conninfo, pool_size=2)
    await store.open()
    try:
        agent = make_agent(scripted(script=SCRIPT), checkpointer=store)
        await agent.ask(question="Quantos pedidos tivemos em maio?", conversation_id="pg-kill")
        dbname = checkpoints.conninfo.rsplit("/", 1)[1]
        with psycopg.connect(checkpoints.conninfo.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = %s",
                (dbname, APPLICATION_NAME),
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        await asyncio.sleep(0.1)
        second = await agent.ask(question="E no mês passado?", conversation_id="pg-kill")
        assert "abril" in second.answer
    finally:
        await store.close()


async def test_unreachable_memory_is_a_typed_error_not_an_answer(make_agent: Callable[..., Agent]) -> None:
    store = PostgresCheckpoints("postgresql://nobody@127.0.0.1:9/vozbd")
    agent = make_agent(scripted(script=SCRIPT), checkpointer=store)
    with pytest.raises(MemoryUnavailableError) as caught:
        await agent.ask(question="Quantos pedidos tivemos em maio?", conversation_id="pg-down")
    assert caught.value.code == "memory_unavailable" and "indisponível" in caught.value.message
