"""What the model sees: verified examples, glossary, answer-shape rules and the optional table-picking step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from langchain_core.messages import HumanMessage, SystemMessage

from agent.service import Agent
from tests.agent.helpers import calls_of, scripted
from tools.context import ToolContext
from tools.memory import MemoryStore
from tools.policy import ConnectionPolicy


@pytest.fixture
def store(tmp_path: Path) -> MemoryStore:
    return MemoryStore(sa.create_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}"))


async def test_examples_and_glossary_reach_the_system_prompt(
    make_agent: Callable[..., Agent], store: MemoryStore
) -> None:
    store.add_example(
        "demo", "Quantos pedidos foram cancelados?", "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'"
    )
    store.add_example(
        "demo", "Quais os 5 produtos mais caros?", "SELECT nome FROM produtos ORDER BY preco DESC LIMIT 5"
    )
    store.add_example("outra", "Quantos pedidos foram entregues?", "SELECT 42")
    store.add_term("demo", "atrasado", "entregas.dias_atraso > 0")
    model = scripted([{"content": "ok"}])
    agent = make_agent(model, memory=lambda: store)
    await agent.ask(question="Quantos pedidos atrasados foram devolvidos?", conversation_id="m1")
    system = calls_of(model)[0][0]
    assert isinstance(system, SystemMessage)
    assert "Glossário desta conexão" in system.text and "- atrasado: entregas.dias_atraso > 0" in system.text
    assert "Pergunta: Quantos pedidos foram cancelados?" in system.text
    assert "SQL: SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'" in system.text
    assert "SELECT 42" not in system.text  # another connection's memory
    assert "ORDER BY ... LIMIT N" in system.text and "strftime" in system.text  # answer shape, SQLite notes


async def test_no_memory_section_without_matches_and_a_broken_store_does_not_fail(
    make_agent: Callable[..., Agent],
) -> None:
    def broken() -> MemoryStore:
        raise sa.exc.OperationalError("SELECT", {}, Exception("down"))

    model = scripted([{"content": "ok"}])
    turn = await make_agent(model, memory=broken).ask(question="Quantos clientes?", conversation_id="m2")
    assert turn.answer == "ok" and turn.error_code is None
    assert "Exemplos verificados" not in calls_of(model)[0][0].text


async def test_table_picker_runs_on_large_schemas_and_ranks_its_pick_first(make_agent: Callable[..., Agent]) -> None:
    model = scripted([{"content": "transportadoras, entregas, nao_existe"}, {"content": "ok"}])
    agent = make_agent(model, table_picker_min_tables=5)
    turn = await agent.ask(question="Quem leva mais tempo?", conversation_id="p1")
    assert turn.answer == "ok"
    picker_call, answer_call = calls_of(model)
    assert isinstance(picker_call[0], HumanMessage) and "O banco tem 11 tabelas" in picker_call[0].text
    schema = answer_call[0].text
    tables = [line.split()[1] for line in schema.splitlines() if line.startswith("TABLE ")]
    assert set(tables[:2]) == {"transportadoras", "entregas"}


async def test_table_picker_is_skipped_on_small_schemas_or_when_off(make_agent: Callable[..., Agent]) -> None:
    model = scripted([{"content": "ok"}])
    await make_agent(model, table_picker_min_tables=50).ask(question="Quem leva mais tempo?", conversation_id="p2")
    assert len(calls_of(model)) == 1
    model = scripted([{"content": "ok"}])
    await make_agent(model).ask(question="Quem leva mais tempo?", conversation_id="p3")
    assert len(calls_of(model)) == 1


async def test_no_samples_policy_blanks_literals_of_remembered_sql(
    make_agent: Callable[..., Agent], store: MemoryStore, tool_ctx: ToolContext
) -> None:
    store.add_example(
        "demo", "Quantos pedidos foram cancelados?", "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'"
    )
    tool_ctx.policies = {"demo": ConnectionPolicy(samples=False)}
    model = scripted([{"content": "ok"}])
    await make_agent(model, memory=lambda: store).ask(question="Quantos pedidos cancelados?", conversation_id="m3")
    system = calls_of(model)[0][0].text
    assert "SQL: SELECT COUNT(*) FROM pedidos WHERE status = '?'" in system
    assert "status = 'cancelado'" not in system


@pytest.mark.parametrize(
    "policy", [ConnectionPolicy(masked_columns=["pedidos.status"]), ConnectionPolicy(denied_columns=["status"])]
)
async def test_value_hints_never_come_from_a_masked_or_denied_column(
    make_agent: Callable[..., Agent], tool_ctx: ToolContext, policy: ConnectionPolicy
) -> None:
    tool_ctx.value_index = dataclasses.replace(tool_ctx.value_index, wait_s=60)  # the index is built, not racing
    model = scripted([{"content": "ok"}])
    await make_agent(model).ask(question="Quantos pedidos cancelados?", conversation_id="v0")
    assert "pedidos.status = 'cancelado'" in calls_of(model)[0][0].text  # the hint exists without a policy
    tool_ctx.policies = {"demo": policy}
    model = scripted([{"content": "ok"}])
    await make_agent(model).ask(question="Quantos pedidos cancelados?", conversation_id="v1")
    assert "'cancelado'" not in calls_of(model)[0][0].text
