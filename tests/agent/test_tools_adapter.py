"""The tool schemas the graph binds come from the single definitions in ``tools/``; the diagram is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.graph import mermaid
from agent.tools import frame_data, run_tool, with_active_connection
from tests.agent.helpers import scripted
from tools.context import ToolContext
from tools.registry import all_tools, get_tool

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- graph:start -->", "<!-- graph:end -->"


def _without_titles(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_titles(v) for k, v in value.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(value, list):
        return [_without_titles(v) for v in value]
    return value


def test_bound_tool_schemas_are_generated_from_the_tool_definitions(tool_ctx: ToolContext) -> None:
    from agent.service import Agent

    model = scripted([{"content": "ok"}])
    Agent(tool_ctx, model)
    bound = {t["function"]["name"]: t["function"] for t in model.bound_tools}
    assert set(bound) == {spec.name for spec in all_tools()}
    for spec in all_tools():
        assert bound[spec.name]["description"] == spec.description
        # parameters are the input model's own JSON schema (by alias), without pydantic's titles; the model's
        # docstring (top-level description) is replaced by the tool's docstring above
        expected = _without_titles(spec.input_model.model_json_schema())
        expected.pop("description", None)
        assert bound[spec.name]["parameters"] == expected


def test_connection_defaults_only_when_omitted() -> None:
    spec = get_tool("run_query")
    assert with_active_connection(spec, {"sql": "S"}, "prod") == {"sql": "S", "connection": "prod"}
    assert with_active_connection(spec, {"sql": "S", "connection": "x"}, "prod")["connection"] == "x"
    assert with_active_connection(spec, {"sql": "S"}, None) == {"sql": "S"}


def test_tool_errors_become_coded_messages(tool_ctx: ToolContext) -> None:
    outcome = run_tool(get_tool("run_query"), {"sql": "DELETE FROM clientes"}, tool_ctx)
    assert outcome.result is None and outcome.error and outcome.error["error"] == "unsafe_query"
    assert outcome.text.startswith("ERRO (unsafe_query) na ferramenta run_query: ")
    assert outcome.artifact["ok"] is False and outcome.artifact["error_code"] == "unsafe_query"


def test_frame_data_delimits() -> None:
    framed = frame_data("read_pdf", "texto")
    assert framed.splitlines()[1:] == ['<dados origem="read_pdf" confiavel="nao">', "texto", "</dados>"]


def test_committed_diagram_matches_the_graph() -> None:
    generated = mermaid()
    assert (ROOT / "docs" / "graph.mmd").read_text(encoding="utf-8") == generated
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    embedded = readme.split(START, 1)[1].split(END, 1)[0]
    assert embedded.strip() == f"```mermaid\n{generated.strip()}\n```"
