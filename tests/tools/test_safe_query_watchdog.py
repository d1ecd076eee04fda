"""The statement watchdog: one thread for every deadline, alarms that fire on time unless cancelled."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tools.safe_query.session import Deadline
from tools.safe_query.watchdog import Watchdog


def test_an_alarm_fires_after_its_delay() -> None:
    watchdog = Watchdog(name="test-watchdog")
    fired = threading.Event()
    start = time.monotonic()
    watchdog.schedule(0.05, fired.set)
    assert fired.wait(5)
    assert time.monotonic() - start >= 0.05


def test_a_cancelled_alarm_never_runs() -> None:
    watchdog = Watchdog(name="test-watchdog")
    ran: list[str] = []
    alarm = watchdog.schedule(0.05, lambda: ran.append("cancelled"))
    later = threading.Event()
    watchdog.schedule(0.15, later.set)
    alarm.cancel()
    assert later.wait(5)
    assert ran == []
    assert watchdog.pending() == 0


def test_an_earlier_alarm_wakes_the_thread_sleeping_for_a_later_one() -> None:
    watchdog = Watchdog(name="test-watchdog")
    watchdog.schedule(60, lambda: None)  # the thread now sleeps for a minute
    time.sleep(0.05)
    early = threading.Event()
    start = time.monotonic()
    watchdog.schedule(0.05, early.set)
    assert early.wait(5)
    assert time.monotonic() - start < 2


def test_a_slow_action_does_not_delay_the_next_alarm() -> None:
    """PostgreSQL's cancel request can take long (it connects to the server): the hang-up still comes on time."""
    watchdog = Watchdog(name="test-watchdog")
    release = threading.Event()
    second = threading.Event()
    watchdog.schedule(0.02, lambda: release.wait(10))
    start = time.monotonic()
    watchdog.schedule(0.1, second.set)
    assert second.wait(5)
    assert time.monotonic() - start < 2
    release.set()


def test_one_thread_serves_many_statements() -> None:
    """The point of the watchdog: no thread per statement (a threading.Timer each before)."""
    watchdog = Watchdog(name="test-watchdog-count")
    alarms = [watchdog.schedule(30, lambda: None) for _ in range(500)]
    names = [t.name for t in threading.enumerate() if t.name.startswith("test-watchdog-count")]
    assert names == ["test-watchdog-count"]
    for alarm in alarms:
        alarm.cancel()
    assert watchdog.pending() == 0
    assert len(watchdog._heap) < 500  # cancelled alarms are dropped, not kept until their due time


class _FakeSqlite:
    """Records what the deadline asks of a sqlite3 connection."""

    def __init__(self) -> None:
        self.interrupted = threading.Event()

    def set_progress_handler(self, *_: object) -> None:
        pass

    def interrupt(self) -> None:
        self.interrupted.set()


def test_deadline_interrupts_through_the_shared_watchdog() -> None:
    dbapi = _FakeSqlite()
    before = {t.name for t in threading.enumerate()}
    deadline = Deadline(dbapi, "sqlite", timeout_s=0.01)
    deadline.start()  # client grace: timeout + CLIENT_GRACE_S
    assert not {t.name for t in threading.enumerate()} - before - {"vozbd-query-watchdog"}
    assert dbapi.interrupted.wait(5)
    assert deadline.fired


def test_finished_deadline_never_interrupts() -> None:
    dbapi = _FakeSqlite()
    deadline = Deadline(dbapi, "sqlite", timeout_s=0.01)
    deadline.start()
    deadline.finish()
    time.sleep(1.2)  # past timeout + CLIENT_GRACE_S
    assert not dbapi.interrupted.is_set()


def test_postgres_statement_is_cancelled_from_the_client_side(pg_url: str) -> None:
    """A real PostgreSQL statement the server does not stop itself (no statement_timeout here): the watchdog's
    cancel request ends it soon after timeout + PG_CANCEL_GRACE_S."""
    import psycopg
    from sqlalchemy import make_url

    url = make_url(pg_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as conn:
        deadline = Deadline(conn, "postgres", timeout_s=0.2)
        start = time.monotonic()
        deadline.start()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("SELECT pg_sleep(30)")
        finally:
            deadline.finish()
        assert deadline.fired
        assert time.monotonic() - start < 10


def _pg_engine(pg_url: str) -> Engine:  # one pooled connection: every checkout is the same backend
    from sqlalchemy import create_engine

    return create_engine(pg_url, pool_size=1, max_overflow=0)


def test_a_late_cancel_never_reaches_the_next_checkout(pg_url: str) -> None:
    """The watchdog dispatched the cancel (its alarm was due) but its thread ran only after the statement finished:
    the connection is back in the pool, serving someone else's statement, which must not be cancelled."""
    import psycopg

    from tools.safe_query.session import pinned_session

    engine = _pg_engine(pg_url)
    try:
        with engine.connect() as db, pinned_session(db, "postgres", 0.2) as deadline:
            deadline.start()
            db.exec_driver_sql("SELECT 1")
            late_cancel = deadline._alarms[0].action  # what the alarm's own thread would run
        with engine.connect() as db:
            threading.Timer(0.2, late_cancel).start()
            try:
                db.exec_driver_sql("SELECT pg_sleep(1)")
            except Exception as error:  # the assertion below says what went wrong
                assert not isinstance(error.__cause__ or error, psycopg.errors.QueryCanceled), error
                raise
    finally:
        engine.dispose()


def test_a_connection_that_was_sent_a_cancel_is_not_pooled_again(pg_url: str) -> None:
    """PostgreSQL handles a cancel request on its own schedule: once sent, it may hit whatever the backend runs
    next, so the connection it targeted is discarded, not handed to the next caller."""
    from tools.safe_query.session import pinned_session

    engine = _pg_engine(pg_url)
    try:
        with engine.connect() as db, pinned_session(db, "postgres", 0.2) as deadline:
            deadline.start()
            backend = db.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            deadline._alarms[0].action()  # the cancel, due just as the statement ended
        with engine.connect() as db:
            assert db.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
    finally:
        engine.dispose()


def test_a_late_interrupt_never_reaches_the_next_sqlite_statement(tmp_path: Path) -> None:
    import sqlite3

    dbapi = sqlite3.connect(tmp_path / "late.db", check_same_thread=False)
    deadline = Deadline(dbapi, "sqlite", timeout_s=0.2)
    deadline.start()
    late_interrupt = deadline._alarms[0].action
    deadline.finish()
    long_count = (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) SELECT count(*) FROM c"
    )
    threading.Timer(0.05, late_interrupt).start()
    assert dbapi.execute(long_count).fetchone() == (3000000,)


def test_the_watchdog_survives_an_action_thread_that_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of threads (a resource attack): the due alarm still runs, and so does every later one."""
    import tools.safe_query.watchdog as module

    real_thread = threading.Thread
    refused: list[str] = []

    class NoActionThreads(real_thread):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            if self.name.endswith("-action") and not refused:
                refused.append(self.name)
                raise RuntimeError("can't start new thread")
            super().start()

    monkeypatch.setattr(module.threading, "Thread", NoActionThreads)
    watchdog = Watchdog(name="test-watchdog-starved")
    first, second = threading.Event(), threading.Event()
    watchdog.schedule(0.02, first.set)
    watchdog.schedule(0.1, second.set)
    assert first.wait(5), "the alarm whose thread could not start was lost"
    assert second.wait(5), "the watchdog thread died"
    assert refused


def test_long_statements_are_cancelled_among_many_concurrent_ones(pg_url: str) -> None:
    """Twenty statements at once on real PostgreSQL connections (no server statement_timeout): the short ones
    finish untouched, the long ones are all cancelled by the shared watchdog."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg
    from sqlalchemy import make_url

    url = make_url(pg_url)

    def run(seconds: float) -> str:
        with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as conn:
            deadline = Deadline(conn, "postgres", timeout_s=1.0)
            deadline.start()
            try:
                conn.execute(f"SELECT pg_sleep({seconds})")
                return "done"
            except psycopg.errors.QueryCanceled:
                return "cancelled"
            finally:
                deadline.finish()

    plan = [30.0 if i % 4 == 0 else 0.05 * (i % 5) for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(run, plan))
    assert outcomes == ["cancelled" if seconds == 30.0 else "done" for seconds in plan]
