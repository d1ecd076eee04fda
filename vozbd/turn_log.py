"""Write a surface's turns to ``conversation_logs`` (the app database), for surfaces that must not import it.

The chat UI receives a ``TurnRecorder`` from the composition root; an unavailable app database is logged,
never shown as a crash (the user already has the answer). Its ``observers`` (``/metrics``) hear of every turn.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.events import TurnResult
    from vozbd.appdb.database import AppDatabase
    from vozbd.appdb.logs import ConversationLogStore, Surface
    from vozbd.metrics import TurnObservers

log = logging.getLogger("vozbd.ui")


class TurnRecorder:
    def __init__(
        self, open_database: Callable[[], AppDatabase], surface: Surface, observers: TurnObservers | None = None
    ) -> None:
        self._open_database = open_database
        self._surface = surface
        self._observers = observers
        self._store: ConversationLogStore | None = None
        self._lock = threading.Lock()

    def store(self) -> ConversationLogStore:
        """The log store (the database is opened and migrated on first use; raises ``AppDatabaseError``)."""
        with self._lock:
            if self._store is None:
                self._store = self._open_database().logs
            return self._store

    async def __call__(self, turn: TurnResult, *, user_id: str | None, model: str | None, voice: bool) -> None:
        from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError
        from vozbd.appdb.logs import TurnLog

        if self._observers is not None:
            self._observers.notify(turn, self._surface)
        try:
            store = await asyncio.to_thread(self.store)
            mode: Any = "voice" if voice else "text"
            record = TurnLog.from_turn(turn, surface=self._surface, user_id=user_id, model=model, input_mode=mode)
            await store.awrite_turn(record)
        except (AppDatabaseError, AppDatabaseConfigError) as error:
            log.warning("turn of conversation %s not logged: %s", turn.conversation_id, error.message)
