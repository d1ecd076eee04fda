"""One watchdog thread for every statement's client-side deadline, instead of a ``threading.Timer`` per statement.

A ``Timer`` is a new OS thread per statement (started, then woken to be cancelled a few milliseconds later): under
load that is a thread start, a GIL hand-off and a wake-up per query for a timer that almost never fires. Here
alarms wait in a heap on one daemon thread; cancelling is a flag. An alarm that does fire runs its action on a
thread of its own, so a slow action (PostgreSQL's cancel request opens a connection to the server) never delays
another alarm — the hang-up ``HARD_STOP_S`` after a cancel still comes on time.

Written by hand: ``sched`` runs actions on the scheduling thread and cannot be woken for an earlier alarm, and
``asyncio`` timers would need a loop in every thread that runs a statement.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

_COMPACT_AT = 256
"""Rebuild the heap once this many cancelled alarms (and more than half of it) wait there."""


class Alarm:
    """One scheduled action; ``cancel()`` before it is due and it never runs."""

    __slots__ = ("_watchdog", "action", "cancelled", "fired")

    def __init__(self, watchdog: Watchdog, action: Callable[[], object]) -> None:
        self._watchdog = watchdog
        self.action = action
        self.cancelled = False
        self.fired = False

    def cancel(self) -> None:
        self._watchdog._cancel(self)


class Watchdog:
    """A heap of ``(due, alarm)`` served by one daemon thread, started on first use (and again after a fork)."""

    def __init__(self, name: str = "vozbd-query-watchdog") -> None:
        self._name = name
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def schedule(self, delay_s: float, action: Callable[[], object]) -> Alarm:
        """Run ``action`` (on a thread of its own) ``delay_s`` seconds from now unless cancelled first."""
        if self._pid != os.getpid():  # a forked child inherits the heap but not the thread
            self._reset()
        alarm = Alarm(self, action)
        due = time.monotonic() + delay_s
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._order), alarm))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
            elif self._heap[0][2] is alarm:  # earlier than what the thread sleeps until
                self._cond.notify()
        return alarm

    def pending(self) -> int:
        """Alarms neither cancelled nor fired yet."""
        with self._cond:
            return sum(1 for _, _, alarm in self._heap if not alarm.cancelled)

    def _cancel(self, alarm: Alarm) -> None:
        with self._cond:
            if alarm.cancelled or alarm.fired:
                return
            alarm.cancelled = True
            self._cancelled += 1
            if self._cancelled >= _COMPACT_AT and self._cancelled * 2 > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _next_due(self) -> Alarm:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled -= 1
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait <= 0:
                    alarm = heapq.heappop(self._heap)[2]
                    alarm.fired = True
                    return alarm
                self._cond.wait(wait)

    def _serve(self) -> None:
        while True:
            alarm = self._next_due()
            try:
                threading.Thread(target=_run, args=(alarm.action,), name=f"{self._name}-action", daemon=True).start()
            except RuntimeError as error:  # no thread to spare (or interpreter shutdown): run it here, not lose it
                log.warning("watchdog action runs on the watchdog thread: %s", error)
                _run(alarm.action)


def _run(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # an action's own failure must not be lost silently, nor kill anything else
        log.exception("watchdog action failed")


WATCHDOG = Watchdog()
"""The process's one watchdog for statement deadlines."""
