"""Runaway protection: the SQL attempt limit and the step limit end a turn with an answer, never an exception."""

from __future__ import annotations

from collections.abc import Callable

from agent import prompts
from agent.service import Agent
from tests.agent.helpers import calls_of, scripted, tool_call
from tools.db.demo import demo_db_path


async def test_sql_attempt_limit_apologises_with_the_last_error(make_agent: Callable[..., Agent]) -> None:
    bad = [tool_call("run_query", sql=f"SELECT nada_{i} FROM clientes") for i in range(5)]
    model = scripted([*bad, {"content": "nunca chega aqui"}])
    turn = await make_agent(model, max_sql_attempts=3).ask(question="x", conversation_id="l1")
    assert turn.sql_attempts == 3
    assert len(calls_of(model)) == 3  # no model call after the third failure
    assert turn.error_code == "sql_attempts_exhausted"
    last_error = turn.sql_runs[-1]["error_message"]
    assert last_error and "nada_2" in last_error
    assert turn.answer == prompts.SQL_ATTEMPTS_APOLOGY.format(attempts=3, error=last_error)
    assert turn.answer.startswith("Desculpe")


async def test_sql_attempt_limit_is_configurable(make_agent: Callable[..., Agent]) -> None:
    model = scripted([tool_call("run_query", sql="SELECT x FROM nenhuma")] * 3)
    turn = await make_agent(model, max_sql_attempts=1).ask(question="x", conversation_id="l2")
    assert turn.sql_attempts == 1 and len(calls_of(model)) == 1
    assert turn.error_code == "sql_attempts_exhausted"


async def test_step_limit_answers_instead_of_looping(make_agent: Callable[..., Agent]) -> None:
    model = scripted([tool_call("list_connections")] * 20)
    turn = await make_agent(model, max_steps=4).ask(question="x", conversation_id="l3")
    assert turn.steps == 4
    assert len(calls_of(model)) == 4
    assert turn.tool_calls == 3
    assert turn.error_code == "step_limit"
    assert turn.answer == prompts.STEP_LIMIT_ANSWER.format(steps=4)


async def test_successful_queries_do_not_trigger_the_apology(make_agent: Callable[..., Agent]) -> None:
    assert demo_db_path().exists()
    model = scripted([tool_call("run_query", sql="SELECT 1")] * 3 + [{"content": "feito"}])
    turn = await make_agent(model, max_sql_attempts=3).ask(question="x", conversation_id="l4")
    assert turn.answer == "feito" and turn.error_code is None and turn.sql_attempts == 3
