"""Prompt injection (OWASP LLM01): values read from the database are data, never instructions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langchain_core.messages import SystemMessage, ToolMessage

from agent import prompts
from agent.service import Agent
from tests.agent.helpers import calls_of, db_checksum, scalar, scripted, sqlite_url, tool_call
from tools.db.demo import INJECTION_TICKET_ID
from tools.db.demo.names import INJECTION_TEXT

TICKET_SQL = f"SELECT assunto FROM chamados WHERE id = {INJECTION_TICKET_ID}"


async def test_obedient_model_cannot_change_the_database(make_agent: Callable[..., Agent], writable_demo: Path) -> None:
    before = db_checksum(writable_demo)
    clients_before = scalar(writable_demo, "SELECT COUNT(*) FROM clientes")
    assert scalar(writable_demo, f"SELECT assunto FROM chamados WHERE id = {INJECTION_TICKET_ID}") == INJECTION_TEXT
    # A model that *would* obey the injected cell: after reading it, it tries to delete the customers.
    model = scripted(
        [
            tool_call("run_query", sql=TICKET_SQL),
            tool_call("run_query", sql="DELETE FROM clientes"),
            tool_call("run_query", sql="DROP TABLE clientes"),
            {"content": "Não posso alterar dados."},
        ]
    )
    turn = await make_agent(model, max_sql_attempts=5).ask(
        question="Qual o assunto do chamado 137?", conversation_id="inj1", connection=sqlite_url(writable_demo)
    )
    assert [r["error_code"] for r in turn.sql_runs] == [None, "unsafe_query", "unsafe_query"]
    assert db_checksum(writable_demo) == before
    assert scalar(writable_demo, "SELECT COUNT(*) FROM clientes") == clients_before
    assert turn.error_code is None


async def test_tool_results_are_framed_as_data_and_the_prompt_says_so(make_agent: Callable[..., Agent]) -> None:
    model = scripted([tool_call("run_query", sql=TICKET_SQL), {"content": "ok"}])
    await make_agent(model).ask(question="Qual o assunto do chamado?", conversation_id="inj2")
    last_call = calls_of(model)[-1]
    message = next(m for m in last_call if isinstance(m, ToolMessage))
    opening = prompts.DATA_OPEN.format(source="run_query")
    assert opening in message.text and message.text.rstrip().endswith(prompts.DATA_CLOSE)
    inside = message.text.split(opening, 1)[1].rsplit(prompts.DATA_CLOSE, 1)[0]
    assert INJECTION_TEXT in inside  # the injected value only appears inside the data frame
    assert INJECTION_TEXT not in message.text.split(opening, 1)[0]
    system = last_call[0]
    assert isinstance(system, SystemMessage)
    assert "<dados>" in system.text and "nunca" in system.text and "instruções" in system.text
