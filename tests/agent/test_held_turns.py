"""Speculative turns: a turn run with ``hold`` is remembered only once committed; discarded, it leaves no trace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from agent.checkpoint import HeldCheckpoints, memory_checkpointer
from agent.events import DoneEvent, TokenEvent, ToolEndEvent
from agent.llm.scripted import Script, ScriptRule
from agent.service import Agent
from tests.agent.helpers import calls_of, scripted, tool_call

SCRIPT = Script(
    rules=[
        ScriptRule(
            match=r"clientes",
            responses=[tool_call("run_query", sql="SELECT COUNT(*) FROM clientes"), {"content": "Temos clientes."}],
        ),
        ScriptRule(match=r"pedidos", responses=[{"content": "Temos pedidos."}]),
        ScriptRule(match=r"produtos", responses=[{"content": "Temos produtos."}]),
    ]
)


def humans_seen_last(model) -> list[str]:  # type: ignore[no-untyped-def]  # a ScriptedChatModel
    return [m.text for m in calls_of(model)[-1] if isinstance(m, HumanMessage)]


@pytest.fixture(params=["memory", "sqlite"])
def checkpointer(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    return memory_checkpointer() if request.param == "memory" else tmp_path / "checkpoints.sqlite3"


async def test_a_held_turn_is_remembered_only_after_commit(make_agent: Callable[..., Agent], checkpointer) -> None:
    model = scripted(script=SCRIPT)
    agent = make_agent(model, checkpointer=checkpointer)
    await agent.ask(question="Quantos clientes temos?", conversation_id="c")

    hold = HeldCheckpoints()
    held = await agent.ask(question="E pedidos?", conversation_id="c", hold=hold)
    assert held.answer == "Temos pedidos."
    assert humans_seen_last(model) == ["Quantos clientes temos?", "E pedidos?"]  # it read the memory
    assert hold.pending >= 1 and not hold.committed

    # Not committed yet: the next turn does not see the held one.
    probe = HeldCheckpoints()
    await agent.ask(question="E produtos?", conversation_id="c", hold=probe)
    assert humans_seen_last(model) == ["Quantos clientes temos?", "E produtos?"]

    await hold.commit()
    assert hold.committed and hold.pending == 0
    await agent.ask(question="E produtos?", conversation_id="c")
    assert humans_seen_last(model) == ["Quantos clientes temos?", "E pedidos?", "E produtos?"]


async def test_a_held_turn_cancelled_midway_leaves_no_trace(make_agent: Callable[..., Agent], checkpointer) -> None:
    """The voice loop cancels a speculative turn when the user goes on speaking. Without ``hold`` the in-memory
    saver keeps the cancelled turn's question (LangGraph checkpoints on the way out); with it nothing is kept."""
    model = scripted(script=SCRIPT)
    agent = make_agent(model, checkpointer=checkpointer)
    await agent.ask(question="Quantos pedidos temos?", conversation_id="c")

    hold = HeldCheckpoints()
    ran_sql = asyncio.Event()

    async def consume() -> None:
        async for event in agent.astream_turn(question="Quantos clientes temos?", conversation_id="c", hold=hold):
            if isinstance(event, ToolEndEvent):
                ran_sql.set()
                await asyncio.sleep(30)  # the user went on speaking: cancelled here

    task = asyncio.ensure_future(consume())
    await ran_sql.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    await agent.ask(question="E produtos?", conversation_id="c")
    assert humans_seen_last(model) == ["Quantos pedidos temos?", "E produtos?"]


async def test_commit_refuses_a_running_turn(make_agent: Callable[..., Agent]) -> None:
    agent = make_agent(scripted(script=SCRIPT))
    hold = HeldCheckpoints()
    stream = agent.astream_turn(question="Quantos clientes temos?", conversation_id="c", hold=hold)
    async with contextlib.aclosing(stream):
        async for event in stream:
            if isinstance(event, TokenEvent | ToolEndEvent):
                with pytest.raises(RuntimeError, match="still running"):
                    await hold.commit()
                break
    events = [e async for e in agent.astream_turn(question="E pedidos?", conversation_id="c")]
    assert isinstance(events[-1], DoneEvent)
