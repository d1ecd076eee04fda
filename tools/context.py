"""What every tool receives explicitly: limits, the connection registry and caches.

Built once per process by the composition root (``vozbd.wiring.build_tool_context``)
from ``Settings``; tools never read settings or the environment themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.audit import AuditSink
    from tools.db.registry import ConnectionRegistry
    from tools.db.transport import DeclaredConnection
    from tools.policy.model import ConnectionPolicy


DEFAULT_DICT_DIRS: tuple[Path, ...] = (Path("/usr/share/dictd"),)
"""Where Debian's ``dict-freedict-por-eng`` / ``dict-freedict-eng-por`` install their files."""


@dataclass(frozen=True)
class QueryLimits:
    max_rows: int = 1000
    timeout_s: float = 15.0
    max_cell_chars: int = 4000
    """Text values longer than this are cut, ending with a visible marker."""
    max_result_bytes: int = 4 * 1024 * 1024
    """Fetching stops (``truncated``) once the values read add up to this many bytes."""


ColumnFilter = Callable[[str, str, str], bool]
"""``(connection name, table, column) -> allowed``: False for masked or denied columns (the connection's policy).
Tools that read data on their own initiative (the value index) never read a column it refuses."""


@dataclass(frozen=True)
class ValueIndexLimits:
    """Bounds of the per-connection value index (``tools.values``)."""

    enabled: bool = True
    per_column: int = 1000
    """Columns with at most this many distinct values are indexed whole; others are sampled."""
    sample_high_cardinality: int = 200
    scan_rows: int = 50_000
    """Rows looked at per column (the DISTINCT runs over at most this many)."""
    max_values: int = 200_000
    max_length: int = 80
    """Longer values are free text, not something a question names."""
    time_budget_s: float = 20.0
    wait_s: float = 1.0
    """How long a prompt waits for an index still being built (0 = use it from the next question on)."""


@dataclass(frozen=True)
class PdfLimits:
    allowed_dirs: tuple[Path, ...] = ()
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    max_chars: int = 20_000
    time_budget_s: float = 5.0
    """Wall-clock budget of one read_pdf call's text extraction (a killable worker process: ``tools.pdf_read``)."""


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
    operator_urls: tuple[str, ...] = ()
    """Database URLs the operator typed for this process (CLI ``--db URL``): tool inputs may name exactly these.
    Any other URL in a tool input is refused; tool inputs name configured connections (and ``default_connection``,
    operator configuration, may itself be a URL)."""
    allow_privileged: bool = False
    """Accept logins with more than read privileges for every connection (``VOZBD_ALLOW_PRIVILEGED``: a loud,
    process-wide opt-out; tests use it where they are not about privileges). Without it, only saved connections
    with their own flag (``db add --allow-privileged``) may use such a login."""
    accept_urls: bool = False
    """True only where every tool input comes from the operator (the CLI's own commands, scripts, tests): then any
    database URL is accepted. Never for the agent, REST, MCP or the UI, whose inputs a model or a client chose."""
    allowed_connections: tuple[str, ...] | None = None
    """If set, only these saved connection names (plus ``demo`` when listed) are visible; ``None`` = all."""
    dictionary_dirs: tuple[Path, ...] = DEFAULT_DICT_DIRS
    """Folders searched for FreeDict pt<->en dictionaries (schema linking); none found = built-in lexicon only."""
    value_index: ValueIndexLimits = field(default_factory=ValueIndexLimits)
    column_filter: ColumnFilter | None = None
    """Set by the composition root from per-connection policies; None = every column may be read."""
    policies: dict[str, ConnectionPolicy] = field(default_factory=dict)
    """Per-connection policy by connection name (from the config file); absent = only the global limits."""
    declared_connections: dict[str, DeclaredConnection] = field(default_factory=dict)
    """Connections declared in the config file, by name (looked up before the saved ones)."""
    audit: AuditSink | None = None
    """Where every statement run by a tool is recorded (the app database's query_audit table); None = nowhere."""
    caches: dict[str, Any] = field(default_factory=dict)
    """Per-process caches owned by tool modules (engines, schemas), keyed by module name."""
