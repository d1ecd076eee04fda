"""Process-wide observation points, so ``/metrics`` sees the turns and statements of every surface.

- ``StatementObservers`` is the ``ToolContext.audit`` sink of the process (wrapping the query-audit store, if
  on): every SQL statement a tool runs — REST, chat UI, MCP, voice — passes through it, with its surface,
  outcome, refusal reason and time.
- ``TurnObservers`` is a list of callbacks for finished agent turns (the chat UI's ``TurnRecorder`` calls them).

``vozbd.server.create_app`` subscribes its ``ApiMetrics`` to both. An observer that raises is logged, never
allowed to fail the query or the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.events import TurnResult
    from tools.audit import AuditEvent, AuditSink

log = logging.getLogger(__name__)


class StatementObservers:
    """An ``AuditSink`` that tells its subscribers about each statement, then records it in ``inner`` (if any)."""

    def __init__(self, inner: AuditSink | None = None) -> None:
        self.inner = inner
        self._observers: list[Callable[[AuditEvent], None]] = []

    def subscribe(self, observer: Callable[[AuditEvent], None]) -> None:
        self._observers.append(observer)

    def record(self, event: AuditEvent) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:  # metrics must never break a query
                log.exception("statement observer failed")
        if self.inner is not None:
            self.inner.record(event)


class TurnObservers:
    """Callbacks for finished turns: ``observer(turn, surface)``."""

    def __init__(self) -> None:
        self._observers: list[Callable[[TurnResult, str], None]] = []

    def subscribe(self, observer: Callable[[TurnResult, str], None]) -> None:
        self._observers.append(observer)

    def notify(self, turn: TurnResult, surface: str) -> None:
        for observer in list(self._observers):
            try:
                observer(turn, surface)
            except Exception:  # metrics must never break a turn
                log.exception("turn observer failed")
