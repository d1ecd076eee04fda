"""langchain-mcp-adapters loads the vozbd tools from a real ``vozbd mcp`` process and calls them."""

from __future__ import annotations

from pathlib import Path

from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

from tests.mcp_server.conftest import McpData
from tests.mcp_server.helpers import VOZBD, server_env
from tools.registry import all_tools


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") if isinstance(block, dict) else str(block) for block in content)  # type: ignore[union-attr]  # LangChain content blocks are loosely typed


async def test_langchain_loads_and_calls_tools(mcp_data: McpData, tmp_path: Path) -> None:
    client = MultiServerMCPClient(
        {"vozbd": {"transport": "stdio", "command": VOZBD, "args": ["mcp"], "env": server_env(mcp_data.data_dir)}}
    )
    async with client.session("vozbd") as session:  # one server process for every call below
        tools = {tool.name: tool for tool in await load_mcp_tools(session)}
        await check_tools(tools)


async def check_tools(tools: dict) -> None:
    assert set(tools) == {spec.name for spec in all_tools()}
    assert set(tools["run_query"].args) >= {"sql", "connection", "max_rows"}

    message = await tools["run_query"].ainvoke(
        {
            "type": "tool_call",
            "id": "call-1",
            "name": "run_query",
            "args": {"sql": "SELECT count(*) AS total FROM clientes", "connection": "loja_pg"},
        }
    )
    assert message.status == "success"
    assert "600" in _text(message.content)
    assert message.artifact["structured_content"]["row_count"] == 1

    refused = await tools["run_query"].ainvoke(
        {"type": "tool_call", "id": "call-2", "name": "run_query", "args": {"sql": "DROP TABLE clientes"}}
    )
    assert refused.status == "error"
    assert "Erro (unsafe_query)" in _text(refused.content)
