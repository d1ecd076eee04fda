"""Start real vozbd MCP server processes (stdio / streamable HTTP) and talk to them with the SDK's clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, Tool

from tests.netutil import free_port

__all__ = ["INITIALIZE", "MCP_HEADERS", "free_port"]

VENV_BIN = Path(sys.executable).parent
VOZBD = str(VENV_BIN / "vozbd")


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
"""The MCP ``initialize`` request a test client sends first."""
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
"""Headers of a streamable-HTTP MCP request."""


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a server process: this machine's env without any VOZBD_* variable, data in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
    env.update({"VOZBD_DATA_DIR": str(data_dir), "VOZBD_LOG_LEVEL": "WARNING", **extra})
    return env


@asynccontextmanager
async def stdio_session(
    env: dict[str, str], errlog: Path, command: str = VOZBD, args: tuple[str, ...] = ("mcp",)
) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=command, args=list(args), env=env, cwd=str(errlog.parent))
    with errlog.open("a") as log:
        async with stdio_client(params, errlog=log) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


@contextmanager
def http_server(env: dict[str, str], workdir: Path, *extra_args: str) -> Iterator[str]:
    """Run ``vozbd mcp --http`` on a free port; yield its ``/mcp`` URL; stop it afterwards."""
    port = free_port()
    errlog = workdir / f"http-{port}.log"
    with errlog.open("w") as log:
        process = subprocess.Popen(
            [VOZBD, "mcp", "--http", "--host", "127.0.0.1", "--port", str(port), *extra_args],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, process, errlog)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], errlog: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"MCP HTTP server exited ({process.returncode}):\n{errlog.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"MCP HTTP server did not listen on {port}:\n{errlog.read_text()}")


@asynccontextmanager
async def http_session(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(60, read=300), follow_redirects=True)
    async with (
        client,
        streamable_http_client(url, http_client=client) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def assert_structured_ok(tool: Tool, result: CallToolResult) -> dict[str, Any]:
    """The call succeeded and its structuredContent is valid against the tool's outputSchema."""
    assert not result.isError, text_of(result)
    assert tool.outputSchema is not None
    assert result.structuredContent is not None
    jsonschema.validate(result.structuredContent, tool.outputSchema)
    return result.structuredContent
