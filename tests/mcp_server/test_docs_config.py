"""The client configs documented in README.md (kept as files in docs/mcp/) really start and reach vozbd."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.mcp_server.conftest import McpData
from tests.mcp_server.helpers import VOZBD, http_server, http_session, server_env, stdio_session
from tools.registry import all_tools

DOCS = Path(__file__).resolve().parents[2] / "docs"
CONFIGS = sorted((DOCS / "mcp").glob("*.json"))
README = DOCS.parent / "README.md"
TOKEN = "token-da-documentacao"
PLACEHOLDERS = ("${input:vozbd-token}", "${env:VOZBD_MCP_TOKEN}")


def entries(path: Path) -> dict[str, dict]:
    config = json.loads(path.read_text())
    return config.get("mcpServers") or config["servers"]


def test_every_config_is_shown_verbatim_in_the_readme() -> None:
    readme = README.read_text()
    assert {p.name for p in CONFIGS} == {"claude_desktop_config.json", "vscode_mcp.json", "cursor_mcp.json"}
    for path in CONFIGS:
        assert f"```json\n{path.read_text().strip()}\n```" in readme, path.name


def test_readme_lists_every_tool_and_prompt() -> None:
    readme = README.read_text()
    for name in [spec.name for spec in all_tools()] + ["perguntar_ao_banco", "schema://{connection}"]:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
async def test_stdio_entries_start_the_server(path: Path, mcp_data: McpData, tmp_path: Path) -> None:
    stdio = {name: e for name, e in entries(path).items() if "command" in e}
    assert stdio, f"{path.name} documents no stdio server"
    for entry in stdio.values():
        assert entry.get("type", "stdio") == "stdio"
        assert entry["command"].endswith("/.venv/bin/vozbd")  # the docs say: replace with `which vozbd`
        env = server_env(mcp_data.data_dir) | entry.get("env", {}) | {"VOZBD_DATA_DIR": str(mcp_data.data_dir)}
        async with stdio_session(env, tmp_path / "stderr.log", command=VOZBD, args=tuple(entry["args"])) as session:
            tools = {tool.name for tool in (await session.list_tools()).tools}
            listing = await session.call_tool("list_connections", {})
        assert tools == {spec.name for spec in all_tools()}
        assert not listing.isError


async def test_http_entries_reach_the_server_with_the_token(mcp_data: McpData, tmp_path: Path) -> None:
    http = [(path.name, e) for path in CONFIGS for e in entries(path).values() if "url" in e]
    assert len(http) >= 2
    env = server_env(mcp_data.data_dir, VOZBD_MCP_TOKEN=TOKEN)
    with http_server(env, tmp_path) as live_url:
        for name, entry in http:
            documented = urlsplit(entry["url"])
            assert documented.path == "/mcp" and documented.port == 8765, name
            headers = dict(entry["headers"])
            for placeholder in PLACEHOLDERS:
                headers = {k: v.replace(placeholder, TOKEN) for k, v in headers.items()}
            assert headers["Authorization"] == f"Bearer {TOKEN}", name
            async with http_session(live_url, headers) as session:
                result = await session.call_tool("list_connections", {})
            assert not result.isError, name
