"""``python -m mcp_server``: the MCP server over stdio (same as ``vozbd mcp``)."""

from mcp_server.server import run_stdio
from vozbd.settings import Settings

run_stdio(Settings())
