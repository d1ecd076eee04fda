"""Query audit: every SQL statement a tool runs is recorded (time, surface, user/key, connection, SQL, outcome,
rows, ms) through ``ToolContext.audit``. Each surface says who is calling with ``calling_as(surface, user)``;
a ``ContextVar`` carries it into the worker thread that runs the tool. Never a password: the connection is its
name (URLs masked) and the user is a name or key id, never a token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from tools.errors import ToolError, UnsafeQueryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    surface: str = "unknown"
    """mcp, api, ui, cli, agent, ..."""
    user: str | None = None
    """User name or API key id when the surface knows it (never a secret)."""


_UNKNOWN = Caller()
_CALLER: ContextVar[Caller | None] = ContextVar("vozbd_caller", default=None)


@contextmanager
def calling_as(surface: str, user: str | None = None) -> Iterator[None]:
    """Tag the tool calls made inside the block (and in threads started from it) with ``surface``/``user``."""
    token = _CALLER.set(Caller(surface, user))
    try:
        yield
    finally:
        _CALLER.reset(token)


def current_caller() -> Caller:
    return _CALLER.get() or _UNKNOWN


@dataclass
class AuditEvent:
    tool: str
    connection: str
    sql: str
    surface: str
    user: str | None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    outcome: str = "ok"
    """ok, refused (validator/policy), error (database), timeout."""
    error_code: str | None = None
    reason: str | None = None
    """Why a refused statement was refused: the validator's or policy's rejection code (``detail.code``)."""
    rows: int | None = None
    elapsed_ms: float | None = None


class AuditSink(Protocol):
    def record(self, event: AuditEvent) -> None: ...


def _outcome(error: ToolError) -> str:
    if error.code == "query_timeout":
        return "timeout"
    if isinstance(error, UnsafeQueryError):
        return "refused"
    return "error"


@contextmanager
def audited(sink: AuditSink | None, tool: str, connection: str, sql: str) -> Iterator[AuditEvent]:
    """Record one statement: the block sets ``event.rows``; a ToolError marks the outcome and propagates.

    A failing sink is logged and never fails the query.
    """
    caller = current_caller()
    event = AuditEvent(tool=tool, connection=connection, sql=sql[:20_000], surface=caller.surface, user=caller.user)
    start = time.perf_counter()
    try:
        yield event
    except ToolError as error:
        event.outcome, event.error_code = _outcome(error), error.code
        if event.outcome == "refused":
            event.reason = str((error.detail or {}).get("code") or error.code)[:40]
        raise
    finally:
        event.elapsed_ms = round((time.perf_counter() - start) * 1000, 3)
        if sink is not None:
            try:
                sink.record(event)
            except Exception:  # the audit store must never break a query; the failure is logged loudly
                log.exception("audit: could not record a %s call on %s", tool, connection)
