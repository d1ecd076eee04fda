"""The tool schemas the graph binds come from the single definitions in ``tools/``; the diagram is current."""

from __future__ import annotations

from pathlib import Path

from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.graph import mermaid
from agent.tools import frame_data, langchain_tools, run_tool, with_active_connection
from tests.agent.helpers import scripted
from tools.context import ToolContext
from tools.registry import all_tools, get_tool

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- graph:start -->", "<!-- graph:end -->"


def test_bound_tool_schemas_are_generated_from_the_tool_definitions(tool_ctx: ToolContext) -> None:
    from agent.service import Agent

    model = scripted([{"content": "ok"}])
    Agent(tool_ctx, model)
    bound = {t["function"]["name"]: t["function"] for t in model.bound_tools}
    assert set(bound) == {spec.name for spec in all_tools()}
    for spec, tool in zip(all_tools(), langchain_tools(all_tools(), tool_ctx), strict=True):
        assert tool.args_schema is spec.input_model
        assert tool.description == spec.description
        assert bound[spec.name]["description"] == spec.description
        assert bound[spec.name] == convert_to_openai_tool(spec.input_model)["function"] | {
            "name": spec.name,
            "description": spec.description,
        }
        schema = spec.input_model.model_json_schema()
        assert set(bound[spec.name]["parameters"]["properties"]) == set(schema["properties"])
        assert set(bound[spec.name]["parameters"].get("required", [])) == set(schema.get("required", []))


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
    readme = (ROOT / "docs" / "readme" / "50-agent.md").read_text(encoding="utf-8")
    embedded = readme.split(START, 1)[1].split(END, 1)[0]
    assert embedded.strip() == f"```mermaid\n{generated.strip()}\n```"
