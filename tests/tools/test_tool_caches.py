"""``tools.cache``: the per-context cache helper every tool cache is built on."""

from __future__ import annotations

import threading
from typing import Any

from tools.cache import KeyedCache, context_cache


def test_context_cache_is_created_once_when_threads_race() -> None:
    caches: dict[str, Any] = {}
    made: list[object] = []
    start = threading.Barrier(8)
    seen: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    def worker() -> None:
        start.wait()
        seen.append(context_cache(caches, "x", factory))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert seen == [made[0]] * 8 and caches["x"] is made[0]


def test_keyed_cache_drops_stale_entries_and_clears_by_key() -> None:
    now = [100.0]
    cache: KeyedCache[tuple[str, int], tuple[float, str]] = KeyedCache(clock=lambda: now[0])
    cache.put(("a", 1), (cache.clock(), "a1"))
    cache.put(("a", 2), (cache.clock(), "a2"))
    cache.put(("b", 1), (cache.clock(), "b1"))
    now[0] = 105.0
    assert cache.age(100.0) == 5.0

    def stale(entry: tuple[float, str]) -> bool:
        return cache.age(entry[0]) >= 5

    assert cache.pop_if(("a", 1), lambda entry: cache.age(entry[0]) >= 10) == (100.0, "a1")
    assert cache.pop_if(("a", 1), stale) is None
    assert cache.get(("a", 1)) is None and len(cache) == 2
    assert cache.clear(lambda key: key[0] == "a") == 1
    assert cache.get(("b", 1)) == (100.0, "b1")
    assert cache.setdefault(("c", 1), lambda: (0.0, "c1")) == (0.0, "c1")
    assert cache.setdefault(("c", 1), lambda: (1.0, "other")) == (0.0, "c1")
    assert cache.clear() == 2 and len(cache) == 0


def test_loading_lock_is_one_per_key() -> None:
    cache: KeyedCache[str, int] = KeyedCache()
    assert cache.loading("a") is cache.loading("a")
    assert cache.loading("a") is not cache.loading("b")
