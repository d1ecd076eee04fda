"""The idle-connection liveness check over TLS (a private TLS-only PostgreSQL 15, verify-full with a generated CA),
through both pools that use it: the app database's SQLAlchemy engine (checkout event) and the conversation
memory's psycopg_pool (``check``). TLS adds records of its own to the socket (the server's close_notify before it
closes; session tickets after the handshake): a terminated backend must still be replaced without an error to the
caller, and a healthy connection must not read as dropped (which would cost a reconnect per checkout)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from agent.checkpoint import APPLICATION_NAME, PostgresCheckpoints
from tests.tools.db.servers import TlsServer, running_tls_postgres
from vozbd.appdb.database import AppDatabase, open_app_database
from vozbd.appdb.logs import TurnLog

pytestmark = pytest.mark.slow  # starts a PostgreSQL server (a few seconds)

CONVERSATION = {"configurable": {"thread_id": "tls", "checkpoint_ns": ""}}


@pytest.fixture(scope="module")
def pg_tls() -> Iterator[TlsServer]:
    with running_tls_postgres() as server:
        yield server


def _conninfo(server: TlsServer, database: str | None = None) -> str:
    """A libpq URL for the server's superuser over TLS, checking the certificate and the host name."""
    return (
        f"postgresql://{server.admin_user}@localhost:{server.port}/{database or server.database}"
        f"?sslmode=verify-full&sslrootcert={quote(str(server.pki.ca))}"
    )


def _backends(server: TlsServer, application_name: str) -> list[int]:
    with psycopg.connect(_conninfo(server, "postgres"), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity JOIN pg_stat_ssl USING (pid) WHERE application_name = %s AND ssl "
            "ORDER BY pid",
            (application_name,),
        ).fetchall()
    return [row[0] for row in rows]


def _terminate(server: TlsServer, pids: list[int]) -> None:
    """Terminate ``pids`` and wait until their processes are gone: their farewell has then been sent."""
    with psycopg.connect(_conninfo(server, "postgres"), autocommit=True) as admin:
        for pid in pids:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone() != (0,):
            assert time.monotonic() < deadline, "the terminated backends did not exit"
            time.sleep(0.02)


@pytest.fixture
def tls_app_db(pg_tls: TlsServer) -> Iterator[AppDatabase]:
    """The app database in a new database of the TLS server."""
    name = f"app_{secrets.token_hex(4)}"
    with psycopg.connect(_conninfo(pg_tls, "postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    database = open_app_database(_conninfo(pg_tls, name))
    yield database
    database.dispose()


def test_the_connections_are_encrypted(pg_tls: TlsServer, tls_app_db: AppDatabase) -> None:
    tls_app_db.logs.write_turn(TurnLog(conversation_id="tls", surface="api"))
    with psycopg.connect(_conninfo(pg_tls, "postgres"), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
            "WHERE a.application_name = 'vozbd'"
        ).fetchall()
    assert rows and all(row == (True, "TLSv1.3") for row in rows)  # 1.3: the version with post-handshake records


def test_app_db_keeps_a_healthy_tls_connection_across_checkouts(tls_app_db: AppDatabase) -> None:
    connects: list[object] = []
    invalidated: list[object] = []
    tls_app_db.engine.dispose()
    event.listen(tls_app_db.engine, "connect", lambda *args: connects.append(args))
    event.listen(tls_app_db.engine, "invalidate", lambda *args: invalidated.append(args))
    for i in range(20):
        tls_app_db.logs.write_turn(TurnLog(conversation_id=f"c{i}", surface="api"))
        time.sleep(0.01)  # idle between requests, as in a server: records the server sends late arrive here
    assert tls_app_db.logs.count() == 20
    assert not invalidated
    assert len(connects) == 1


def test_app_db_replaces_a_tls_connection_whose_backend_was_terminated(
    pg_tls: TlsServer, tls_app_db: AppDatabase
) -> None:
    invalidated: list[BaseException | None] = []
    event.listen(tls_app_db.engine, "invalidate", lambda *args: invalidated.append(args[2]))
    tls_app_db.logs.write_turn(TurnLog(conversation_id="before", surface="api"))
    pids = _backends(pg_tls, "vozbd")
    assert len(pids) == 1
    _terminate(pg_tls, pids)
    # A read (no retry of its own, unlike write_turn): no error reaches the caller only if checkout caught it.
    assert tls_app_db.logs.count() == 1
    assert len(invalidated) == 1 and isinstance(invalidated[0], DisconnectionError)  # by the checkout hook
    tls_app_db.logs.write_turn(TurnLog(conversation_id="after", surface="api"))
    assert [turn.conversation_id for turn in tls_app_db.logs.list_turns()] == ["before", "after"]
    assert _backends(pg_tls, "vozbd") not in ([], pids)


async def _checkpoint_reads(store: PostgresCheckpoints, times: int) -> None:
    for _ in range(times):
        async with store.saver() as saver:
            assert await saver.aget_tuple(CONVERSATION) is None  # one pool checkout each


async def test_memory_pool_keeps_a_healthy_tls_connection_and_replaces_a_terminated_one(pg_tls: TlsServer) -> None:
    conninfo = _conninfo(pg_tls)
    PostgresCheckpoints(conninfo).setup()
    store = PostgresCheckpoints(conninfo, pool_size=1)  # one connection: every read checks out that one
    await store.open()
    try:
        await _checkpoint_reads(store, 1)
        first = _backends(pg_tls, APPLICATION_NAME)
        assert len(first) == 1
        for _ in range(20):
            await _checkpoint_reads(store, 1)
            time.sleep(0.01)
        assert _backends(pg_tls, APPLICATION_NAME) == first  # no reconnect: the healthy connection read as alive

        _terminate(pg_tls, first)
        await _checkpoint_reads(store, 1)  # no error to the caller
        replaced = _backends(pg_tls, APPLICATION_NAME)
        assert replaced and not set(replaced) & set(first)
    finally:
        await store.close()
