"""The MCP server in process: a real FastMCP server and SDK client connected in memory (fast, no mocks)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from mcp import ClientSession
from mcp.shared.exceptions import McpError
from mcp.shared.memory import create_connected_server_and_client_session
from pydantic import BaseModel, Field

import mcp_server.server as server_module
from mcp_server.server import build_server
from tests.mcp_server.conftest import SECRET, McpData, make_config
from tests.mcp_server.helpers import assert_structured_ok, text_of
from tools.context import ToolContext
from tools.registry import ToolSpec, all_tools, get_tool


@asynccontextmanager
async def connected(data: McpData, **settings: object) -> AsyncIterator[ClientSession]:
    config = make_config(data.data_dir, **settings)
    async with create_connected_server_and_client_session(build_server(config, data.ctx)) as session:
        yield session


async def tools_by_name(session: ClientSession) -> dict:
    return {tool.name: tool for tool in (await session.list_tools()).tools}


async def test_tools_mirror_the_registry(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        tools = await tools_by_name(session)
    assert (
        set(tools)
        == {spec.name for spec in all_tools()}
        == {
            "list_connections",
            "search_schema",
            "inspect_schema",
            "run_query",
            "explain_query",
            "read_pdf",
        }
    )
    for spec in all_tools():
        tool = tools[spec.name]
        assert tool.description == spec.description and len(tool.description) > 40
        assert tool.title == spec.title and tool.title
        assert tool.annotations is not None
        assert tool.annotations.readOnlyHint is True
        assert tool.annotations.destructiveHint is False
        assert tool.annotations.idempotentHint is True
        assert tool.annotations.openWorldHint is False
        # flat input schema: one property per input-model field, no nested model wrapper
        model_schema = spec.input_model.model_json_schema()
        fields = {info.alias or name: info for name, info in spec.input_model.model_fields.items()}
        assert set(tool.inputSchema.get("properties", {})) == set(fields) == set(model_schema.get("properties", {}))
        assert set(tool.inputSchema.get("required", [])) == set(model_schema.get("required", []))
        for name, prop in tool.inputSchema.get("properties", {}).items():
            assert "$ref" not in prop, name
            assert prop.get("description") == fields[name].description
        assert tool.outputSchema is not None
        assert set(tool.outputSchema["properties"]) == set(spec.output_model.model_fields)
    instructions = server_module.INSTRUCTIONS
    assert [name for name in tools if name not in instructions] == []  # the server's instructions name every tool
    run_query_doc = tools["run_query"].description.lower()
    assert "select" in run_query_doc or "leitura" in run_query_doc or "read-only" in run_query_doc


async def test_every_tool_on_demo_and_postgres(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        tools = await tools_by_name(session)
        listing = await session.call_tool("list_connections", {})
        names = [c["name"] for c in assert_structured_ok(tools["list_connections"], listing)["connections"]]
        assert names[0] == "demo" and {"loja_pg", "fora_do_ar"} <= set(names)
        assert text_of(listing) == get_tool("list_connections").run(mcp_data.ctx).to_text()

        for connection in ("demo", "loja_pg"):
            schema = await session.call_tool("inspect_schema", {"connection": connection, "tables": ["clientes"]})
            data = assert_structured_ok(tools["inspect_schema"], schema)
            assert "clientes" in text_of(schema) and "clientes" in data["compact"]

            query = await session.call_tool(
                "run_query", {"connection": connection, "sql": "SELECT count(*) AS total FROM clientes"}
            )
            rows = assert_structured_ok(tools["run_query"], query)["rows"]
            assert rows == [[600]] or rows == [{"total": 600}] or rows[0][0] == 600, rows
            assert "600" in text_of(query)

        pdf = await session.call_tool("read_pdf", {"path": "relatorio.pdf", "search": "CORACAO"})
        data = assert_structured_ok(tools["read_pdf"], pdf)
        assert data["matches"] and data["matches"][0]["page"] == 1
        assert "coração" in text_of(pdf)


async def test_max_rows_is_passed_through(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        result = await session.call_tool("run_query", {"sql": "SELECT id FROM clientes ORDER BY id", "max_rows": 3})
    data = result.structuredContent
    assert not result.isError and data is not None
    assert len(data["rows"]) == 3 and data["truncated"] is True


@pytest.mark.parametrize(
    ("tool", "arguments", "code"),
    [
        ("run_query", {"sql": "DELETE FROM clientes"}, "unsafe_query"),
        ("run_query", {"sql": "DROP TABLE pedidos", "connection": "loja_pg"}, "unsafe_query"),
        ("run_query", {"sql": "SELECT 1", "connection": "nao_existe"}, "unknown_connection"),
        ("run_query", {"sql": "SELECT 1", "connection": "fora_do_ar"}, "connection_failed"),
        ("run_query", {"sql": "SELECT coluna_que_nao_existe FROM clientes"}, "database_error"),
        ("run_query", {}, "invalid_input"),
        ("inspect_schema", {"connection": "fora_do_ar"}, "connection_failed"),
        ("read_pdf", {"path": "nao_existe.pdf"}, "pdf_not_found"),
        ("read_pdf", {"path": "/etc/passwd"}, "pdf_forbidden"),
        ("read_pdf", {"path": "relatorio.pdf", "pages": "9"}, "pdf_bad_pages"),
    ],
)
async def test_errors_are_clean_tool_errors(mcp_data: McpData, tool: str, arguments: dict, code: str) -> None:
    async with connected(mcp_data) as session:
        result = await session.call_tool(tool, arguments)
        still_alive = await session.call_tool("list_connections", {})
    text = text_of(result)
    assert result.isError is True
    assert text.startswith(f"Erro ({code}): "), text
    for leak in ("Traceback", "Error executing tool", SECRET, 'File "'):
        assert leak not in text
    assert not still_alive.isError


async def test_unexpected_exception_becomes_generic_error(mcp_data: McpData, monkeypatch: pytest.MonkeyPatch) -> None:
    class BoomInput(BaseModel):
        word: str = Field(description="Anything.")

    class BoomOutput(BaseModel):
        ok: bool

        def to_text(self) -> str:
            return "ok"

    def boom(params: BoomInput, ctx: ToolContext) -> BoomOutput:
        """Always fails."""
        raise RuntimeError(f"internal detail {params.word}")

    specs = (*all_tools(), ToolSpec("boom", boom, BoomInput, BoomOutput))
    monkeypatch.setattr(server_module, "all_tools", lambda: specs)
    async with connected(mcp_data) as session:
        result = await session.call_tool("boom", {"word": SECRET})
    assert result.isError
    assert text_of(result).startswith("Erro (internal_error): ")
    assert SECRET not in text_of(result) and "internal detail" not in text_of(result)


async def test_no_credentials_in_any_output(mcp_data: McpData) -> None:
    outputs: list[str] = []
    async with connected(mcp_data) as session:
        outputs.append((await session.list_tools()).model_dump_json())
        for connection in ("loja_pg", "fora_do_ar"):
            for tool, args in (
                ("list_connections", {}),
                ("inspect_schema", {"connection": connection}),
                ("run_query", {"connection": connection, "sql": "SELECT current_user, 1 AS x"}),
            ):
                outputs.append((await session.call_tool(tool, args)).model_dump_json())
        outputs.append((await session.list_resources()).model_dump_json())
        outputs.append((await session.read_resource("schema://loja_pg")).model_dump_json())
        with pytest.raises(McpError) as caught:
            await session.read_resource("schema://fora_do_ar")
        outputs.append(str(caught.value))
    joined = "\n".join(outputs)
    assert "loja_pg" in joined and "fora_do_ar" in joined
    assert SECRET not in joined


async def test_resources_list_each_visible_connection(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        resources = {str(r.uri) for r in (await session.list_resources()).resources}
        templates = [t.uriTemplate for t in (await session.list_resource_templates()).resourceTemplates]
        demo = (await session.read_resource("schema://demo")).contents[0]
        with pytest.raises(McpError) as caught:
            await session.read_resource("schema://nao_existe")
    assert resources == {"schema://demo", "schema://loja_pg", "schema://fora_do_ar"}
    assert templates == ["schema://{connection}"]
    assert "clientes" in demo.text and "pedidos" in demo.text  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
    assert str(caught.value).startswith("Erro (unknown_connection): ")


async def test_new_saved_connection_appears_without_restart(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        before = {str(r.uri) for r in (await session.list_resources()).resources}
        mcp_data.ctx.registry.add("outra", mcp_data.pg_url)
        after = {str(r.uri) for r in (await session.list_resources()).resources}
    assert after - before == {"schema://outra"}


async def test_connection_filter(mcp_data: McpData) -> None:
    async with connected(mcp_data, mcp_connections=["loja_pg"]) as session:
        listing = await session.call_tool("list_connections", {})
        resources = {str(r.uri) for r in (await session.list_resources()).resources}
        demo = await session.call_tool("run_query", {"sql": "SELECT 1", "connection": "demo"})
        default = await session.call_tool("run_query", {"sql": "SELECT 1"})
        raw_url = await session.call_tool("run_query", {"sql": "SELECT 1", "connection": mcp_data.pg_url})
        allowed = await session.call_tool("run_query", {"sql": "SELECT 1 AS um", "connection": "loja_pg"})
        schema = await session.call_tool("inspect_schema", {"connection": "demo"})
        with pytest.raises(McpError) as resource_error:
            await session.read_resource("schema://demo")
    assert [c["name"] for c in listing.structuredContent["connections"]] == ["loja_pg"]  # type: ignore[index]  # structuredContent is a dict for these tools (typed as optional)
    assert resources == {"schema://loja_pg"}
    assert str(resource_error.value).startswith("Erro (unknown_connection): ")
    for refused in (demo, default, raw_url, schema):
        assert refused.isError and text_of(refused).startswith("Erro (unknown_connection): ")
    assert mcp_data.pg_url not in text_of(raw_url)
    assert not allowed.isError


async def test_star_filter_refuses_raw_urls(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        result = await session.call_tool("run_query", {"sql": "SELECT 1", "connection": mcp_data.pg_url})
    assert result.isError and "unknown_connection" in text_of(result)


async def test_given_context_is_not_mutated(mcp_data: McpData) -> None:
    build_server(make_config(mcp_data.data_dir, mcp_connections=["loja_pg"]), mcp_data.ctx)
    assert mcp_data.ctx.allowed_connections is None
    assert dataclasses.replace(mcp_data.ctx).caches is mcp_data.ctx.caches


async def test_prompts(mcp_data: McpData) -> None:
    async with connected(mcp_data) as session:
        prompts = {p.name: p for p in (await session.list_prompts()).prompts}
        question = {"question": "Quantos clientes há?", "connection": "loja_pg"}
        ask = await session.get_prompt("perguntar_ao_banco", question)
        pdf = await session.get_prompt("resumir_pdf", {"path": "relatorio.pdf"})
    assert {"perguntar_ao_banco", "resumir_pdf"} <= set(prompts)
    assert [a.name for a in prompts["perguntar_ao_banco"].arguments or []] == ["question", "connection"]
    text = ask.messages[0].content.text  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
    for expected in ("Quantos clientes há?", "inspect_schema", "run_query", "loja_pg", "leitura"):
        assert expected in text
    assert "read_pdf" in pdf.messages[0].content.text  # type: ignore[union-attr]  # the event/result kind is known at this point of the test


async def test_aliased_parameter_reaches_the_tool(mcp_data: McpData) -> None:
    """``inspect_schema``'s ``schema`` parameter (field ``schema_``) selects the PostgreSQL schema."""
    async with connected(mcp_data) as session:
        public = await session.call_tool("inspect_schema", {"connection": "loja_pg", "schema": "public"})
        missing = await session.call_tool("inspect_schema", {"connection": "loja_pg", "schema": "nao_existe_xyz"})
    assert not public.isError and "clientes" in text_of(public)
    assert missing.isError or "clientes" not in text_of(missing)
