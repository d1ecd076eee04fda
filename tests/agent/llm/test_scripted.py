"""The scripted fake model: script files, rule matching, templates, queue mode, streaming, usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent.llm.base import ModelNotConfiguredError
from agent.llm.config import LLMConfig
from agent.llm.registry import load_chat_model
from agent.llm.scripted import ScriptedChatModel, fold, load_script

SCRIPT = """
rules:
  - match: "quantos clientes"
    responses:
      - tool_calls: [{name: run_query, args: {sql: "SELECT COUNT(*) FROM clientes"}}]
      - content: "Temos {last_result_first_value} clientes ({last_sql})."
  - match: "acao"
    responses:
      - content: "regra de ação"
default:
  - content: "padrão: {question}"
"""


@pytest.fixture
def script_file(tmp_path: Path) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def test_fold_strips_accents_and_case() -> None:
    assert fold("Ação NO Mês") == "acao no mes"


def test_rules_play_successive_responses_and_fill_templates(script_file: Path) -> None:
    model = load_chat_model(f"scripted/{script_file}", LLMConfig())
    first = model.invoke([HumanMessage("Quantos clientes temos?")])
    assert isinstance(first, AIMessage)
    assert first.tool_calls[0]["name"] == "run_query"
    assert first.tool_calls[0]["args"] == {"sql": "SELECT COUNT(*) FROM clientes"}
    tool = ToolMessage("600", tool_call_id=first.tool_calls[0]["id"], artifact={"first_value": 600, "sql": "SELECT 1"})
    second = model.invoke([HumanMessage("Quantos clientes temos?"), first, tool])
    assert second.content == "Temos 600 clientes (SELECT 1)."
    assert not second.tool_calls


def test_accent_folded_match_and_default(script_file: Path) -> None:
    model = ScriptedChatModel(script=load_script(script_file))
    assert model.invoke([HumanMessage("Qual AÇÃO?")]).content == "regra de ação"
    assert model.invoke([HumanMessage("outra coisa")]).content == "padrão: outra coisa"


def test_json_script_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"rules": [], "default": [{"content": "oi"}]}), encoding="utf-8")
    assert ScriptedChatModel(script=load_script(path)).invoke("x").content == "oi"
    with pytest.raises(ModelNotConfiguredError):
        load_script(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("passwd", "root:x:0:0:root:/root:/bin/bash\n"),  # YAML of a plain string: not a script
        ("quebrado.yaml", "rules: [\n"),  # not YAML
        ("quebrado.json", "{"),  # not JSON
        ("binario.yaml", b"\xff\xfe\x00"),  # not UTF-8
        ("regras.yaml", "rules: 5\n"),  # YAML, wrong shape
    ],
)
def test_a_file_that_is_not_a_script_is_model_not_configured(tmp_path: Path, name: str, content: str | bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ModelNotConfiguredError, match="inválido"):  # was a ValidationError/YAMLError traceback
        load_script(path)


def test_queue_mode_with_enqueue_and_usage() -> None:
    model = ScriptedChatModel(responses=[{"content": "um"}])
    model.enqueue(["dois", {"tool_calls": [{"name": "list_connections", "args": {}}]}])
    outputs = [model.invoke("pergunta longa o bastante") for _ in range(3)]
    assert [o.content for o in outputs[:2]] == ["um", "dois"]
    assert outputs[2].tool_calls[0]["name"] == "list_connections"
    assert outputs[0].usage_metadata and outputs[0].usage_metadata["input_tokens"] > 0
    assert outputs[0].usage_metadata["output_tokens"] > 0


async def test_streaming_yields_words_and_merges_tool_calls() -> None:
    model = ScriptedChatModel(
        responses=[{"content": "três palavras aqui"}, {"tool_calls": [{"name": "run_query", "args": {"sql": "S"}}]}]
    )
    chunks = [c async for c in model.astream("x")]
    assert [c.content for c in chunks if c.content] == ["três ", "palavras ", "aqui"]
    merged = None
    async for chunk in model.astream("x"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.tool_calls[0]["args"] == {"sql": "S"}


def test_bind_tools_records_openai_schemas() -> None:
    from pydantic import BaseModel, Field

    class Echo(BaseModel):
        """Repete o texto."""

        text: str = Field(description="o texto")

    model = ScriptedChatModel(responses=[{"content": "ok"}])
    bound = model.bind_tools([Echo])
    assert bound.invoke("x").content == "ok"
    assert model.bound_tools[0]["function"]["name"] == "Echo"
    assert "text" in model.bound_tools[0]["function"]["parameters"]["properties"]


def test_a_rule_with_the_exact_question_wins_over_an_earlier_loose_pattern() -> None:
    from evals.oracle import oracle_script
    from evals.suite import EvalCase, Suite

    cases = [
        EvalCase(id="c4", question="Quantos carros têm mais de 4 cilindros?", gold_sql="SELECT 4"),
        EvalCase(id="c6", question="Quantos carros têm mais de 6 cilindros?", gold_sql="SELECT 6"),
    ]
    script = load_script_from(oracle_script(Suite(name="s", path=Path("s.yaml"), cases=tuple(cases))))
    model = ScriptedChatModel(script=script)
    answer = model.invoke([HumanMessage("Quantos carros têm mais de 6 cilindros?")])
    assert answer.tool_calls[0]["args"] == {"sql": "SELECT 6"}
    # a transcript with the number in words still falls back to the patterns
    spoken = model.invoke([HumanMessage("quantos carros tem mais de seis cilindros")])
    assert spoken.tool_calls[0]["args"] == {"sql": "SELECT 4"}


def test_patterns_are_compiled_once_per_script() -> None:
    rules = [{"match": f"pergunta numero {i}\\b", "responses": [{"content": str(i)}]} for i in range(600)]
    script = load_script_from({"rules": rules})
    model = ScriptedChatModel(script=script)
    assert model.invoke([HumanMessage("pergunta numero 599")]).content == "599"
    compiled = script._compiled
    assert compiled is not None and len(compiled) == 600
    assert model.invoke([HumanMessage("pergunta numero 3")]).content == "3"
    assert script._compiled is compiled


def load_script_from(data: dict) -> object:
    from agent.llm.scripted import Script

    return Script.model_validate(data)


def test_named_groups_fill_tool_arguments_and_content() -> None:
    from agent.llm.scripted import Script, ScriptedChatModel

    script = Script.model_validate(
        {
            "rules": [
                {
                    "match": r"clientes .*\b(?:em|na) (?P<lugar>[a-z ]+?)\W*$",
                    "responses": [
                        {"tool_calls": [{"name": "run_query", "args": {"sql": "… nome = '{lugar}'", "limit": 3}}]},
                        {"content": "Em {lugar}: {last_result_first_value}."},
                    ],
                },
                {"match": "chaves", "responses": [{"tool_calls": [{"name": "q", "args": {"sql": "SELECT '{x}'"}}]}]},
            ]
        }
    )
    model = ScriptedChatModel(script=script)
    call = model.invoke([HumanMessage("Quantos clientes temos em São Paulo?")]).tool_calls[0]
    assert call["args"] == {"sql": "… nome = 'sao paulo'", "limit": 3}
    # Without named groups the arguments are passed as written (SQL may hold braces).
    assert model.invoke([HumanMessage("chaves")]).tool_calls[0]["args"] == {"sql": "SELECT '{x}'"}


def test_the_demo_script_answers_the_chat_suggestions_on_the_demo_database() -> None:
    """The welcome's suggestions and the Quick start question, answered by the demo script with the right SQL."""
    import sqlite3

    from agent.llm.scripted import load_script

    root = Path(__file__).resolve().parents[3]
    script = load_script(root / "tests" / "agent" / "scripts" / "demo.yaml")
    model = ScriptedChatModel(script=script)
    demo = sqlite3.connect(root / "tools" / "db" / "demo" / "demo.sqlite")
    try:

        def first_value(question: str) -> object:
            sql = model.invoke([HumanMessage(question)]).tool_calls[0]["args"]["sql"]
            return demo.execute(sql).fetchone()[0]

        gold_sp = "SELECT COUNT(*) FROM clientes WHERE uf = 'SP'"
        assert first_value("Quantos clientes temos em São Paulo?") == demo.execute(gold_sp).fetchone()[0] == 173
        gold_ba = gold_sp.replace("SP", "BA")
        assert first_value("Quantos clientes temos na Bahia?") == demo.execute(gold_ba).fetchone()[0]
        assert first_value("Quantos clientes temos?") == 600
        late_sp = (
            "SELECT COUNT(*) FROM entregas e JOIN pedidos p ON p.id = e.pedido_id "
            "WHERE e.status = 'atrasada' AND p.uf_entrega = 'SP'"
        )
        assert first_value("Quantos pedidos atrasados temos em São Paulo?") == demo.execute(late_sp).fetchone()[0]
    finally:
        demo.close()
