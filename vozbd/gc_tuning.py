"""Garbage-collector settings for a long-running server process (``VOZBD_GC_THRESHOLDS``).

CPython's defaults (700, 10, 10) suit scripts, not a server holding hundreds of MB of long-lived objects (models,
sqlglot, LangChain, schema caches): under 25 concurrent turns a generation-2 collection walks that whole heap, and
``bench/load.py`` measured 1.5-4.5 ms of collector time per ``/api/v1/ask``. Once startup is done, ``gc.freeze()``
moves everything alive into the permanent generation (never scanned again), and higher thresholds make the
young-generation collections rarer. Memory held by cycles freed later is reclaimed just the same (by the next
collection); what was frozen is only freed by reference counting — the price of not scanning it.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

GcThresholds = tuple[int, int, int]


@contextmanager
def tuned_gc(thresholds: GcThresholds | None) -> Iterator[None]:
    """Freeze what is alive and apply ``thresholds`` while the block runs, then restore CPython's state.

    ``None`` leaves the collector alone. Restoring matters in a process that starts several apps (tests): frozen
    objects would otherwise never be scanned again.
    """
    if thresholds is None:
        yield
        return
    previous = gc.get_threshold()
    gc.freeze()  # O(1): no collection first, so startup's leftover garbage is kept (once, a few MB at most)
    gc.set_threshold(*thresholds)
    log.info("garbage collector: %d startup objects frozen, thresholds %s", gc.get_freeze_count(), thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
