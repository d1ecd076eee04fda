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
