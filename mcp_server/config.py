"""What the MCP server needs, built by the composition root (``vozbd.wiring.mcp_config``)."""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class MCPConfig:
    host: str = "127.0.0.1"
    """The interface the HTTP transport listens on; a loopback host turns on DNS-rebinding protection."""
    tokens: tuple[str, ...] = field(default=(), repr=False)
    """Bearer tokens accepted over HTTP (``vozbd.auth``'s policy: MCP's own token, else the REST API keys);
    empty = none required (a warning is logged)."""
    connections: tuple[str, ...] = ("*",)
    """Saved connection names exposed ("*" = every saved one plus demo)."""
    log_level: str = "INFO"
