"""``python -m mcp_server``: the MCP server over stdio (same as ``vozbd mcp``).

An entry point, not part of the package's layer: like the CLI it starts from the composition root
(``vozbd``), which builds the config and tool context this package receives.
"""

from vozbd.cli.mcp import mcp

mcp(http=False, host=None, port=8765)
