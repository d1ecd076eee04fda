"""Memory: a SQLite checkpointer keyed by conversation id carries follow-ups across turns and restarts."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agent import checkpoint
from agent.checkpoint import SharedCheckpointStore, SqliteCheckpoints
from agent.llm.scripted import Script, ScriptRule
from agent.service import Agent
from tests.agent.helpers import calls_of, scripted, tool_call

MAY = "SELECT COUNT(*) FROM pedidos WHERE data_pedido >= '2026-05-01' AND data_pedido < '2026-06-01'"
APRIL = "SELECT COUNT(*) FROM pedidos WHERE data_pedido >= '2026-04-01' AND data_pedido < '2026-05-01'"

SCRIPT = Script(
    rules=[
        ScriptRule(
            match=r"pedidos .*maio",
            responses=[
                tool_call("run_query", sql=MAY),
                {"content": "Foram {last_result_first_value} pedidos em maio."},
            ],
        ),
        ScriptRule(
            match=r"mes passado",
            responses=[tool_call("run_query", sql=APRIL), {"content": "E {last_result_first_value} em abril."}],
        ),
    ]
)


async def test_follow_up_uses_memory_across_turns_and_restarts(
    make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    checkpoint = tmp_path / "checkpoints.sqlite3"
    first_model = scripted(script=SCRIPT)
    first = await make_agent(first_model, checkpointer=checkpoint).ask(
        question="Quantos pedidos tivemos em maio?", conversation_id="conv-1"
    )
    assert first.answer.startswith("Foram ")
    assert checkpoint.exists()

    # A new Agent on the same file (a restart): the follow-up sees the previous turn.
    second_model = scripted(script=SCRIPT)
    agent = make_agent(second_model, checkpointer=checkpoint)
    second = await agent.ask(question="E no mês passado?", conversation_id="conv-1")
    assert second.answer.startswith("E ") and "abril" in second.answer
    assert second.sql_runs[0]["statement"] == APRIL
    assert second.sql_attempts == 1  # per-turn counters start again
    seen = calls_of(second_model)[0]
    human = [m.text for m in seen if isinstance(m, HumanMessage)]
    assert human == ["Quantos pedidos tivemos em maio?", "E no mês passado?"]
    assert first.answer in [m.text for m in seen if isinstance(m, AIMessage)]

    # Another conversation id starts empty.
    await agent.ask(question="E no mês passado?", conversation_id="conv-2")
    fresh = calls_of(second_model)[-2]
    assert [m.text for m in fresh if isinstance(m, HumanMessage)] == ["E no mês passado?"]


async def test_active_connection_is_remembered_per_conversation(
    make_agent: Callable[..., Agent], writable_demo: Path
) -> None:
    url = f"sqlite:///{writable_demo}"
    model = scripted(script=Script(default=[tool_call("run_query", sql="SELECT 1"), {"content": "ok"}]))
    agent = make_agent(model)
    await agent.ask(question="um", conversation_id="c", connection=url)
    events = [e async for e in agent.astream_turn(question="dois", conversation_id="c")]
    start = next(e for e in events if type(e).__name__ == "ToolStartEvent")
    assert start.args["connection"] == url


async def test_url_passwords_are_never_persisted_or_shown(
    make_agent: Callable[..., Agent], pg_url: str, tmp_path: Path
) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    checkpoint = tmp_path / "cp.sqlite3"
    model = scripted(script=Script(default=[tool_call("run_query", sql="SELECT 1 AS um"), {"content": "ok"}]))
    agent = make_agent(model, checkpointer=checkpoint)
    events = [e async for e in agent.astream_turn(question="um", conversation_id="pw", connection=url)]
    start = next(e for e in events if type(e).__name__ == "ToolStartEvent")
    assert "s3cret-pw" not in start.args["connection"] and "***" in start.args["connection"]
    turn = events[-1].turn  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
    assert turn.results[0].rows == [[1]]  # the tool itself got the real URL (PostgreSQL trust auth)
    assert turn.connection and "s3cret-pw" not in turn.connection
    assert b"s3cret-pw" not in checkpoint.read_bytes()
    wal = checkpoint.with_name(checkpoint.name + "-wal")
    assert not wal.exists() or b"s3cret-pw" not in wal.read_bytes()


async def test_old_turns_are_forgotten_beyond_the_history_window(make_agent: Callable[..., Agent]) -> None:
    model = scripted(script=Script(default=[{"content": "resposta {question}"}]))
    agent = make_agent(model, history_turns=3)
    for i in range(6):
        await agent.ask(question=f"pergunta {i}", conversation_id="long")
    seen = [m.text for m in calls_of(model)[-1] if isinstance(m, HumanMessage)]
    assert seen == ["pergunta 3", "pergunta 4", "pergunta 5"]
    state = await agent._graph.aget_state({"configurable": {"thread_id": "long"}})
    stored = [m.text for m in state.values["messages"]]
    assert stored == [
        "pergunta 3",
        "resposta pergunta 3",
        "pergunta 4",
        "resposta pergunta 4",
        "pergunta 5",
        "resposta pergunta 5",
    ]


async def test_sqlite_store_opened_on_a_loop_shares_one_connection_across_concurrent_turns(
    make_agent: Callable[..., Agent], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteCheckpoints(tmp_path / "checkpoints.sqlite3")
    assert isinstance(store, SharedCheckpointStore)
    opened: list[str] = []
    real_connect = checkpoint._connect_sqlite

    def counting_connect(path: Path) -> sqlite3.Connection:
        opened.append(str(path))
        return real_connect(path)

    monkeypatch.setattr(checkpoint, "_connect_sqlite", counting_connect)
    await store.open()
    try:
        agent = make_agent(scripted(script=SCRIPT), checkpointer=store)
        ids = [f"conv-{i}" for i in range(8)]
        firsts = await asyncio.gather(*(agent.ask(question="Quantos pedidos em maio?", conversation_id=c) for c in ids))
        follow = await asyncio.gather(*(agent.ask(question="E no mês passado?", conversation_id=c) for c in ids))
    finally:
        await store.close()
    assert opened == [str(tmp_path / "checkpoints.sqlite3")]  # one connection for 16 concurrent turns
    assert all(t.answer.startswith("Foram ") for t in firsts)
    assert all(t.sql_runs[0]["statement"] == APRIL for t in follow)  # each conversation kept its own memory
    # Closed: the next turn opens the file itself and still finds the conversation.
    again = await make_agent(scripted(script=SCRIPT), checkpointer=store).ask(
        question="E no mês passado?", conversation_id="conv-3"
    )
    assert len(opened) == 2 and again.sql_runs[0]["statement"] == APRIL


async def test_a_reopened_sqlite_store_is_used_by_the_next_turn(
    make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """The agent keeps its graph bound to the store's shared saver; a store closed and opened again hands out a new
    saver (a new connection), which the next turn must use instead of the closed one."""
    store = SqliteCheckpoints(tmp_path / "checkpoints.sqlite3")
    agent = make_agent(scripted(script=SCRIPT), checkpointer=store)
    await store.open()
    try:
        await agent.ask(question="Quantos pedidos em maio?", conversation_id="c")
    finally:
        await store.close()
    await store.open()
    try:
        follow = await agent.ask(question="E no mês passado?", conversation_id="c")
    finally:
        await store.close()
    assert follow.error_code is None and follow.sql_runs[0]["statement"] == APRIL
