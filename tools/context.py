"""What every tool receives explicitly: limits, the connection registry and caches.

Built once per process by the composition root (``vozbd.wiring.build_tool_context``)
from ``Settings``; tools never read settings or the environment themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.db.registry import ConnectionRegistry


@dataclass(frozen=True)
class QueryLimits:
    max_rows: int = 1000
    timeout_s: float = 15.0


@dataclass(frozen=True)
class PdfLimits:
    allowed_dirs: tuple[Path, ...] = ()
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    max_chars: int = 20_000


@dataclass
class ToolContext:
    """Dependencies of the tools. One per process; safe to share across threads."""

    registry: ConnectionRegistry
    query_limits: QueryLimits = field(default_factory=QueryLimits)
    pdf_limits: PdfLimits = field(default_factory=PdfLimits)
    schema_cache_ttl_s: int = 300
    schema_prompt_budget: int = 6000
    default_connection: str | None = None
    """Connection name or URL used when a tool input names none; ``None`` means the bundled demo database."""
    allowed_connections: tuple[str, ...] | None = None
    """If set, only these saved connection names (plus ``demo`` when listed) are visible; ``None`` = all."""
    caches: dict[str, Any] = field(default_factory=dict)
    """Per-process caches owned by tool modules (engines, schemas), keyed by module name."""
