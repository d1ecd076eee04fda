"""The per-context caches tool modules keep in ``ToolContext.caches``: created once, keyed, timed, cleared.

``context_cache(ctx, name, factory)`` returns the context's cache ``name``, created on first use (once, even when
threads race for it); ``KeyedCache`` is a thread-safe map with a clock for the entries' age, so the schema cache
(``tools.schema_inspect.cache``), the value indexes (``tools.values.service``) and the agent's speech vocabulary
expire and clear the same way. Small and hand-written on purpose: a library TTL cache (cachetools) fixes one TTL
per cache and drops stale entries, while here the TTL is read per call (``ToolContext.schema_cache_ttl_s``), a
value index keeps answering from its stale entry while it is rebuilt, and a key's loads are serialised.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

K = TypeVar("K")
V = TypeVar("V")
C = TypeVar("C")

_CREATE_LOCK = threading.Lock()


def context_cache(caches: dict[str, Any], name: str, factory: Callable[[], C]) -> C:
    """``caches[name]`` (a ``ToolContext.caches``), created by ``factory`` on first use, once."""
    cache = caches.get(name)
    if cache is None:
        with _CREATE_LOCK:
            cache = caches.get(name)
            if cache is None:
                cache = caches[name] = factory()
    return cast(C, cache)


@dataclass
class KeyedCache(Generic[K, V]):
    """A thread-safe ``key → value`` map with a clock (replaceable in tests) to time its entries."""

    clock: Callable[[], float] = time.monotonic
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """Held by every method; callers hold it for a check-then-act over one entry (never while doing I/O)."""
    _entries: dict[K, V] = field(default_factory=dict, repr=False)
    _loading: dict[K, threading.Lock] = field(default_factory=dict, repr=False)

    def get(self, key: K) -> V | None:
        with self.lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self.lock:
            self._entries[key] = value

    def setdefault(self, key: K, factory: Callable[[], V]) -> V:
        """The entry of ``key``, created by ``factory`` (under the lock: keep it cheap) when missing."""
        with self.lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = factory()
            return entry

    def pop_if(self, key: K, stale: Callable[[V], bool]) -> V | None:
        """The entry of ``key`` unless ``stale(entry)``, in which case it is dropped and None returned."""
        with self.lock:
            entry = self._entries.get(key)
            if entry is not None and stale(entry):
                del self._entries[key]
                return None
            return entry

    def loading(self, key: K) -> threading.Lock:
        """The lock serialising loads of one key, so concurrent cold calls load it once."""
        with self.lock:
            return self._loading.setdefault(key, threading.Lock())

    def clear(self, match: Callable[[K], bool] | None = None) -> int:
        """Drop every entry (or those whose key ``match``es); returns how many were dropped."""
        with self.lock:
            doomed = [key for key in self._entries if match is None or match(key)]
            for key in doomed:
                del self._entries[key]
            return len(doomed)

    def age(self, stamp: float) -> float:
        """Seconds since ``stamp`` (a reading of this cache's clock)."""
        return self.clock() - stamp

    def __len__(self) -> int:
        with self.lock:
            return len(self._entries)
