"""The client configs documented in README.md (kept as files in docs/mcp/) really start and reach vozbd."""

from __future__ import annotations

import json
import os
import re
import shlex
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
    assert {p.name for p in CONFIGS} == {
        "claude_desktop_config.json",
        "vscode_mcp.json",
        "cursor_mcp.json",
        "claude_code_mcp.json",
    }
    for path in CONFIGS:
        assert f"```json\n{path.read_text().strip()}\n```" in readme, path.name


def test_readme_lists_every_tool_and_prompt() -> None:
    readme = README.read_text()
    for name in [spec.name for spec in all_tools()] + ["perguntar_ao_banco", "schema://{connection}"]:
        assert f"`{name}`" in readme, name


SHIM = """#!/bin/sh
# Stand-in for uv's `uvx`, used only by this test. vozbd is not published to a package index this machine can
# reach, so `uvx --from "vozbd[mcp]" vozbd mcp` cannot resolve the package here. The shim checks that it is called
# exactly as documented and runs the same entry point (`vozbd`) from the test virtualenv instead.
[ "$1" = "--from" ] && [ "$2" = "vozbd[mcp]" ] || { echo "uvx shim: unexpected arguments: $*" >&2; exit 2; }
shift 2
[ "$1" = "vozbd" ] || { echo "uvx shim: unexpected command: $1" >&2; exit 2; }
shift
exec "{vozbd}" "$@"
"""
CLAUDE_CODE_COMMAND = re.compile(r"^claude mcp add vozbd -- (uvx .+)$", re.MULTILINE)


@pytest.fixture
def uvx_on_path(tmp_path: Path) -> str:
    """A PATH whose first entry holds the `uvx` shim above (see its comment for why a shim)."""
    bin_dir = tmp_path / "shim-bin"
    bin_dir.mkdir()
    shim = bin_dir / "uvx"
    shim.write_text(SHIM.replace("{vozbd}", VOZBD))
    shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


async def _starts(command: str, args: list[str], env: dict[str, str], tmp_path: Path) -> None:
    async with stdio_session(env, tmp_path / "stderr.log", command=command, args=tuple(args)) as session:
        tools = {tool.name for tool in (await session.list_tools()).tools}
        listing = await session.call_tool("list_connections", {})
    assert tools == {spec.name for spec in all_tools()}
    assert not listing.isError


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
async def test_stdio_entries_start_the_server(path: Path, mcp_data: McpData, tmp_path: Path, uvx_on_path: str) -> None:
    stdio = {name: e for name, e in entries(path).items() if "command" in e}
    assert stdio, f"{path.name} documents no stdio server"
    for entry in stdio.values():
        assert entry.get("type", "stdio") == "stdio"
        assert entry["command"] == "uvx" and "/" not in " ".join(entry["args"])  # no path to edit
        env = server_env(mcp_data.data_dir) | entry.get("env", {}) | {"PATH": uvx_on_path}
        await _starts(entry["command"], entry["args"], env, tmp_path)


async def test_claude_code_command_starts_the_server(mcp_data: McpData, tmp_path: Path, uvx_on_path: str) -> None:
    match = CLAUDE_CODE_COMMAND.search(README.read_text())
    assert match, "README shows the `claude mcp add vozbd -- uvx ...` command"
    command, *args = shlex.split(match[1])
    await _starts(command, args, server_env(mcp_data.data_dir) | {"PATH": uvx_on_path}, tmp_path)


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
