"""Build the vozbd MCP server by looping over the tool registry (no per-tool code here)."""

from __future__ import annotations

import dataclasses
import getpass
import logging
import sys
from collections.abc import Iterable
from typing import Any

import anyio.to_thread
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ResourceError
from mcp.server.fastmcp.exceptions import ToolError as FastMCPToolError
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.types import Resource

from mcp_server.adapter import READ_ONLY, tool_function
from mcp_server.config import MCPConfig
from mcp_server.errors import as_tool_error, error_result, find_tool_error
from mcp_server.resources import add_prompts, add_schema_resources, schema_resources
from tools.context import ToolContext
from tools.registry import all_tools
from vozbd_core.version import __version__

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "vozbd: consulte bancos de dados e PDFs em português do Brasil. Use list_connections para ver os bancos; num "
    "banco grande, search_schema para achar tabelas e colunas; inspect_schema antes de escrever SQL; run_query para "
    "executar UMA consulta de leitura (SELECT) e explain_query para ver o plano dela sem executá-la; comandos que "
    "alteram dados são recusados. read_pdf lê PDFs enviados pelo usuário."
)


class VozbdMCP(FastMCP):
    """FastMCP whose tool failures come back as ``isError`` results with the tool's own pt-BR message.

    FastMCP turns any exception into "Error executing tool X: ..." (and would show unexpected exceptions'
    text); here the typed error is unwrapped once and rendered as ``Erro (<code>): <message>``.
    """

    def __init__(self, ctx: ToolContext, **options: Any):
        super().__init__(**options)
        self.tool_ctx = ctx
        # FastMCP has no version option; without this, serverInfo.version is the SDK's own version.
        self._mcp_server.version = __version__

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        try:
            return await super().call_tool(name, arguments)
        except FastMCPToolError as error:
            if error.__cause__ is None:  # FastMCP's own refusal, e.g. "Unknown tool: x"
                raise
            return error_result(as_tool_error(name, error.__cause__))

    async def read_resource(self, uri: Any) -> Iterable[ReadResourceContents]:
        try:
            return await super().read_resource(uri)
        except Exception as error:  # FastMCP re-wraps template failures as ValueError/ResourceError text
            typed = find_tool_error(error)
            if typed is None:
                raise
            raise ResourceError(f"Erro ({typed.code}): {typed.message}") from None

    async def list_resources(self) -> list[Resource]:
        # Saved connections can change while the server runs: list them fresh on every request.
        static = await super().list_resources()
        return [*await anyio.to_thread.run_sync(schema_resources, self.tool_ctx), *static]


def server_context(config: MCPConfig, tool_ctx: ToolContext) -> ToolContext:
    """The tools' context restricted to ``config.connections`` ("*" = every saved one plus demo).

    Raw database URLs are refused whenever a filter is set, which is always the case here.
    """
    allowed = tuple(config.connections) or ("*",)
    return dataclasses.replace(tool_ctx, allowed_connections=allowed)  # shares registry and caches


def build_server(config: MCPConfig, tool_ctx: ToolContext, *, user: str | None = None, **options: Any) -> VozbdMCP:
    """The MCP server exposing every tool in ``tools.registry.all_tools()``, schema resources and prompts.

    ``options`` go to ``FastMCP`` (e.g. ``host``, ``streamable_http_path``); ``user`` names the caller in the
    query audit (the OS user for stdio).
    """
    ctx = server_context(config, tool_ctx)
    server = VozbdMCP(
        ctx,
        name="vozbd",
        instructions=INSTRUCTIONS,
        log_level=config.log_level,
        **options,
    )
    for spec in all_tools():
        server.add_tool(
            tool_function(spec, ctx, user),
            name=spec.name,
            title=spec.title or None,
            description=spec.description,
            annotations=READ_ONLY if spec.read_only else None,
            structured_output=True,
        )
    add_schema_resources(server, ctx)
    add_prompts(server)
    return server


def run_stdio(config: MCPConfig, tool_ctx: ToolContext) -> None:
    """Serve over stdio: only protocol messages on stdout, logs on stderr."""
    logging.basicConfig(level=config.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    build_server(config, tool_ctx, user=getpass.getuser()).run("stdio")
