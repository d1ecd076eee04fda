"""Per-process TTL cache of inspected schemas, stored in ``ToolContext.caches`` (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tools.context import ToolContext
from tools.schema_inspect.models import SchemaResult

CACHE_KEY = "schema_inspect"
_CREATE_LOCK = threading.Lock()

# (connection identity, schema, table filter)
Key = tuple[str, str | None, tuple[str, ...] | None]


@dataclass
class SchemaCache:
    clock: Callable[[], float] = time.monotonic
    _entries: dict[Key, tuple[float, SchemaResult]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loading: dict[Key, threading.Lock] = field(default_factory=dict)

    def loading(self, key: Key) -> threading.Lock:
        """The lock serialising loads of one key, so concurrent cold calls inspect the database once."""
        with self._lock:
            return self._loading.setdefault(key, threading.Lock())

    def get(self, key: Key, ttl_s: float) -> SchemaResult | None:
        """The stored result if younger than ``ttl_s`` seconds, else None (and the stale entry is dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, result = entry
            if self.clock() - stored_at >= ttl_s:
                del self._entries[key]
                return None
            return result

    def put(self, key: Key, result: SchemaResult) -> None:
        with self._lock:
            self._entries[key] = (self.clock(), result)

    def clear(self, connection_id: str | None = None) -> int:
        """Drop every entry (or those of one connection); returns how many were dropped."""
        with self._lock:
            doomed = [k for k in self._entries if connection_id is None or k[0] == connection_id]
            for key in doomed:
                del self._entries[key]
            return len(doomed)


def schema_cache(ctx: ToolContext) -> SchemaCache:
    """The schema cache of this context, created on first use."""
    cache = ctx.caches.get(CACHE_KEY)
    if cache is None:
        with _CREATE_LOCK:
            cache = ctx.caches.setdefault(CACHE_KEY, SchemaCache())
    return cache
