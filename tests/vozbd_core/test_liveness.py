"""``idle_connection_dropped`` on real PostgreSQL connections: alive, terminated by the server, closed."""

from __future__ import annotations

import time

import psycopg

from vozbd_core.liveness import idle_connection_dropped


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_an_idle_connection_is_alive_until_its_backend_is_terminated(pg_url: str) -> None:
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute("SELECT 1").fetchall()
        assert idle_connection_dropped(conn.pgconn.socket) is False
        with psycopg.connect(_conninfo(pg_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        deadline = time.monotonic() + 5
        while not idle_connection_dropped(conn.pgconn.socket) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert idle_connection_dropped(conn.pgconn.socket) is True


def test_a_closed_descriptor_counts_as_dropped() -> None:
    assert idle_connection_dropped(-1) is True
