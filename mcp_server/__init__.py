"""MCP server: adapts ``tools.registry.all_tools()`` to FastMCP (stdio and streamable HTTP)."""
