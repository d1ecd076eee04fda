"""The real graph, real tools and the real demo database, driven by a scripted model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.messages import SystemMessage, ToolMessage

from agent.events import AnswerEvent, DoneEvent, TokenEvent, ToolEndEvent, ToolStartEvent
from agent.service import Agent
from tests.agent.helpers import calls_of, scalar, scripted, sqlite_url, tool_call
from tools.db.demo import demo_db_path

COUNT_SQL = "SELECT COUNT(*) FROM clientes"


def tool_messages(messages: list) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


async def test_inspect_then_query_then_answer(make_agent: Callable[..., Agent]) -> None:
    expected = scalar(demo_db_path(), COUNT_SQL)
    model = scripted(
        [
            tool_call("inspect_schema", tables=["clientes"]),
            tool_call("run_query", sql=COUNT_SQL),
            {"content": "Temos {last_result_first_value} clientes. Consulta: {last_sql}"},
        ]
    )
    turn = await make_agent(model).ask(question="Quantos clientes temos?", conversation_id="t1")
    assert turn.answer == f"Temos {expected} clientes. Consulta: {COUNT_SQL}"
    assert turn.error_code is None
    assert turn.connection == "demo"
    assert turn.steps == 3 and turn.tool_calls == 2 and turn.sql_attempts == 1
    assert [(r["statement"], r["row_count"], r["error_code"]) for r in turn.sql_runs] == [(COUNT_SQL, 1, None)]
    assert turn.results[0].rows[0][0] == expected
    assert [type(r).__name__ for r in turn.tool_results.values()] == ["SchemaResult", "QueryResult"]
    assert turn.to_dict()["tool_results"]
    assert turn.tokens and turn.tokens["input"] > 0 and turn.tokens["output"] > 0
    assert {"llm_total_ms", "llm_first_token_ms", "sql_ms", "total_ms"} <= set(turn.timings)
    # the model saw the schema tool's result, then the query result, as tool messages
    last_call = calls_of(model)[-1]
    names = [m.name for m in tool_messages(last_call)]
    assert names == ["inspect_schema", "run_query"]
    assert str(expected) in tool_messages(last_call)[-1].text


async def test_system_prompt_names_dialect_and_injects_compact_schema(make_agent: Callable[..., Agent]) -> None:
    model = scripted([{"content": "ok"}])
    await make_agent(model).ask(question="Quantas entregas atrasaram?", conversation_id="t2")
    system = calls_of(model)[0][0]
    assert isinstance(system, SystemMessage)
    assert "sqlite" in system.text
    assert "TABLE entregas" in system.text  # compact schema text from inspect_schema
    assert "2026-06-30" in system.text  # demo reference date


async def test_database_error_then_corrected_query(make_agent: Callable[..., Agent]) -> None:
    model = scripted(
        [
            tool_call("run_query", sql="SELECT COUNT(*) FROM cliente"),
            tool_call("run_query", sql=COUNT_SQL),
            {"content": "São {last_result_first_value} clientes."},
        ]
    )
    turn = await make_agent(model).ask(question="Quantos clientes?", conversation_id="t3")
    assert [r["error_code"] for r in turn.sql_runs] == ["database_error", None]
    assert turn.answer == f"São {scalar(demo_db_path(), COUNT_SQL)} clientes."
    error_message = tool_messages(calls_of(model)[1])[-1]
    assert error_message.status == "error"
    assert error_message.text.startswith("ERRO (database_error)")
    assert turn.error_code is None


async def test_unsafe_statement_rejected_then_recovered(make_agent: Callable[..., Agent]) -> None:
    model = scripted(
        [
            tool_call("run_query", sql="UPDATE clientes SET nome = 'x'"),
            tool_call("run_query", sql=COUNT_SQL),
            {"content": "Total: {last_result_first_value}."},
        ]
    )
    turn = await make_agent(model).ask(question="Quantos clientes?", conversation_id="t4")
    assert [r["error_code"] for r in turn.sql_runs] == ["unsafe_query", None]
    assert turn.sql_runs[0]["row_count"] is None
    assert "ERRO (unsafe_query)" in tool_messages(calls_of(model)[1])[-1].text
    assert turn.answer.startswith("Total: ")


async def test_active_connection_is_injected_when_the_model_omits_it(
    make_agent: Callable[..., Agent], writable_demo: Path
) -> None:
    url = sqlite_url(writable_demo)
    model = scripted([tool_call("run_query", sql=COUNT_SQL), {"content": "{last_result_first_value}"}])
    events = [e async for e in make_agent(model).astream_turn(question="q", conversation_id="t5", connection=url)]
    start = next(e for e in events if isinstance(e, ToolStartEvent))
    assert start.args == {"sql": COUNT_SQL, "connection": url}
    done = events[-1]
    assert isinstance(done, DoneEvent)
    assert done.turn.results[0].connection != "demo"


async def test_large_results_are_summarised_for_the_model_but_complete_for_the_caller(
    make_agent: Callable[..., Agent],
) -> None:
    total = scalar(demo_db_path(), "SELECT COUNT(*) FROM pedidos")
    model = scripted([tool_call("run_query", sql="SELECT * FROM pedidos"), {"content": "ok"}])
    turn = await make_agent(model).ask(question="liste os pedidos", conversation_id="t6")
    result = turn.results[0]
    assert len(result.rows) == min(total, 1000)  # the tool's row cap, not the prompt's
    text = tool_messages(calls_of(model)[-1])[-1].text
    assert text.count("\n") < 80  # first rows + count + stats, never the whole result
    assert len(text) < 12_000


async def test_unknown_tool_becomes_a_tool_message(make_agent: Callable[..., Agent]) -> None:
    model = scripted([tool_call("drop_everything"), {"content": "desculpe"}])
    turn = await make_agent(model).ask(question="x", conversation_id="t7")
    assert turn.answer == "desculpe"
    assert "ERRO (unknown_tool)" in tool_messages(calls_of(model)[-1])[-1].text


async def test_bad_tool_arguments_become_a_tool_message(make_agent: Callable[..., Agent]) -> None:
    model = scripted([tool_call("run_query", query="SELECT 1"), {"content": "ok"}])
    turn = await make_agent(model).ask(question="x", conversation_id="t8")
    assert turn.sql_runs[0]["error_code"] == "invalid_input"
    assert "ERRO (invalid_input)" in tool_messages(calls_of(model)[-1])[-1].text


async def test_streaming_events_come_in_order(make_agent: Callable[..., Agent]) -> None:
    model = scripted(
        [
            tool_call("inspect_schema", tables=["clientes"]),
            tool_call("run_query", sql=COUNT_SQL),
            {"content": "Temos {last_result_first_value} clientes cadastrados."},
        ]
    )
    events = [e async for e in make_agent(model).astream_turn(question="Quantos clientes?", conversation_id="t9")]
    kinds = [type(e).__name__ for e in events]
    first_token = kinds.index("TokenEvent")
    assert kinds[:first_token] == ["ToolStartEvent", "ToolEndEvent", "ToolStartEvent", "ToolEndEvent"]
    assert kinds[-2:] == ["AnswerEvent", "DoneEvent"]
    assert set(kinds[first_token:-2]) == {"TokenEvent"}
    ends = [e for e in events if isinstance(e, ToolEndEvent)]
    assert [e.name for e in ends] == ["inspect_schema", "run_query"]
    assert all(e.error is None and e.result is not None and e.elapsed_ms >= 0 for e in ends)
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    answer = next(e for e in events if isinstance(e, AnswerEvent))
    assert streamed == answer.text
    assert isinstance(events[-1], DoneEvent) and events[-1].turn.answer == answer.text


@pytest.mark.parametrize(("fixture", "dialect"), [("demo_pg_url", "postgres"), ("demo_mysql_url", "mysql")])
async def test_server_databases_dialect_is_named_and_queried(
    make_agent: Callable[..., Agent], request: pytest.FixtureRequest, fixture: str, dialect: str
) -> None:
    url = request.getfixturevalue(fixture)
    model = scripted([tool_call("run_query", sql=COUNT_SQL), {"content": "{last_result_first_value}"}])
    turn = await make_agent(model).ask(question="Quantos clientes temos?", conversation_id=fixture, connection=url)
    assert turn.answer == str(scalar(demo_db_path(), COUNT_SQL))
    system = calls_of(model)[0][0]
    assert f"dialeto {dialect}" in system.text and "TABLE clientes" in system.text


async def test_a_turn_starts_from_fresh_bookkeeping(make_agent: Callable[..., Agent]) -> None:
    """A turn's input resets the per-turn fields the previous turn left set; none may leak into the next."""
    model = scripted([tool_call("run_query", sql="SELECT nada FROM tabela_que_nao_existe"), {"content": "segunda"}])
    agent = make_agent(model, max_sql_attempts=1)
    first = await agent.ask(question="Quantos clientes temos?", conversation_id="fresh")
    assert first.error_code == "sql_attempts_exhausted" and first.sql_attempts == 1 and "tools_ms" in first.timings
    second = await agent.ask(question="E agora?", conversation_id="fresh")
    assert (second.answer, second.error_code, second.steps, second.tool_calls) == ("segunda", None, 1, 0)
    assert (second.sql_attempts, second.sql_runs, second.results) == (0, [], [])
    assert "tools_ms" not in second.timings and "sql_ms" not in second.timings
