"""resolve_connection / get_engine / test_connection against the real SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from tests.dbutil import table_checksums
from tools.context import ToolContext
from tools.db import connect
from tools.db.connect import (
    ResolvedConnection,
    db_error,
    describe_db_error,
    get_engine,
    resolve_connection,
    test_connection,
)
from tools.db.demo import demo_db_path
from tools.db.failures import classify_error
from tools.errors import ConnectionFailedError, DatabaseError, DriverMissingError, UnknownConnectionError

PASSWORD = "Segredo-Muito-Forte-9"


def _with(url: str, **parts: object) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)


# --- resolve_connection --------------------------------------------------------------------
def test_none_resolves_to_demo(tool_ctx: ToolContext) -> None:
    for value in (None, "", "  ", "demo"):
        conn = resolve_connection(tool_ctx, value)
        assert conn.is_demo and conn.name == "demo" and conn.dialect == "sqlite"
        assert Path(conn.url.database) == demo_db_path()


def test_default_connection_is_used_when_none_given(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    tool_ctx.registry.add("loja", f"sqlite:///{demo_sqlite}")
    tool_ctx.default_connection = "loja"
    conn = resolve_connection(tool_ctx, None)
    assert (conn.name, conn.is_demo) == ("loja", False)
    assert resolve_connection(tool_ctx, "demo").is_demo
    tool_ctx.default_connection = "postgres://u:pw12345@h/d"
    assert resolve_connection(tool_ctx, None).dialect == "postgres"


def test_saved_name_and_url(tool_ctx: ToolContext) -> None:
    tool_ctx.registry.add("vendas", f"postgresql://app:{PASSWORD}@db.example.com/vendas")
    conn = resolve_connection(tool_ctx, "vendas")
    assert (conn.name, conn.dialect, conn.url.password) == ("vendas", "postgres", PASSWORD)
    assert PASSWORD not in conn.masked_url and PASSWORD not in repr(conn)
    by_url = resolve_connection(tool_ctx, f"mariadb://root:{PASSWORD}@127.0.0.1/test")
    assert by_url.dialect == "mysql" and by_url.url.drivername == "mysql+pymysql"
    assert PASSWORD not in by_url.name and PASSWORD not in by_url.masked_url


def test_unknown_name_lists_saved_names(tool_ctx: ToolContext) -> None:
    tool_ctx.registry.add("vendas", "sqlite:////tmp/vendas.sqlite")
    with pytest.raises(UnknownConnectionError) as info:
        resolve_connection(tool_ctx, "financeiro")
    assert "vendas" in info.value.message and "financeiro" in info.value.message


def test_allowed_connections_are_enforced(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    tool_ctx.registry.add("vendas", f"sqlite:///{demo_sqlite}")
    tool_ctx.registry.add("rh", f"sqlite:///{demo_sqlite}")
    tool_ctx.allowed_connections = ("vendas",)
    assert resolve_connection(tool_ctx, "vendas").name == "vendas"
    for refused in ("rh", "demo", None, f"sqlite:///{demo_sqlite}", f"postgresql://u:{PASSWORD}@h/d"):
        with pytest.raises(UnknownConnectionError) as info:
            resolve_connection(tool_ctx, refused)
        assert "vendas" in info.value.message and info.value.detail["available"] == ["vendas"]
        assert PASSWORD not in info.value.message
    tool_ctx.allowed_connections = ("demo",)
    assert resolve_connection(tool_ctx, None).is_demo
    tool_ctx.allowed_connections = ("*",)
    assert resolve_connection(tool_ctx, "rh").name == "rh"
    with pytest.raises(UnknownConnectionError):
        resolve_connection(tool_ctx, f"sqlite:///{demo_sqlite}")


# --- engines -------------------------------------------------------------------------------
def test_engines_are_cached_per_url_and_thread_safe(tool_ctx: ToolContext) -> None:
    first = get_engine(tool_ctx, resolve_connection(tool_ctx, None))
    assert get_engine(tool_ctx, resolve_connection(tool_ctx, "demo")) is first
    seen: list[object] = []
    other = resolve_connection(tool_ctx, "postgresql://u@127.0.0.1:1/none")
    threads = [threading.Thread(target=lambda: seen.append(get_engine(tool_ctx, other))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in seen}) == 1 and seen[0] is not first
    assert len(tool_ctx.caches["engines"]) == 2


def test_only_server_engines_ping_at_checkout(tool_ctx: ToolContext) -> None:
    """A server may drop a pooled connection (restart, failover): checkout pings it. A SQLite file cannot, so a
    ping there would be one more statement per query for nothing."""
    demo = get_engine(tool_ctx, resolve_connection(tool_ctx, None))
    server = get_engine(tool_ctx, resolve_connection(tool_ctx, "postgresql://u@127.0.0.1:1/none"))
    assert demo.pool._pre_ping is False
    assert server.pool._pre_ping is True


@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM clientes", "CREATE TABLE x (i INTEGER)", "UPDATE produtos SET preco = 0", "PRAGMA query_only = OFF"],
)
def test_sqlite_engine_is_read_only(tool_ctx: ToolContext, tmp_path: Path, statement: str) -> None:
    path = tmp_path / "copy.sqlite"
    shutil.copyfile(demo_db_path(), path)
    before = table_checksums(path)
    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, f"sqlite:///{path}"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clientes")).scalar() == 600
        if statement.startswith("PRAGMA"):
            conn.execute(text(statement))  # even if query_only is lifted, the file is opened mode=ro
            statement = "DELETE FROM clientes"
        with pytest.raises(OperationalError, match=r"readonly|read-only"):
            conn.execute(text(statement))
            conn.commit()
    assert table_checksums(path) == before


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT fts3_tokenizer('simple', x'4142434445464748')",  # would install a raw pointer as the tokenizer
        "SELECT fts3_tokenizer('simple')",  # would leak an address
        "SELECT load_extension('/tmp/x')",
    ],
)
def test_sqlite_engine_refuses_functions_that_change_the_connection(tool_ctx: ToolContext, statement: str) -> None:
    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, None))
    with engine.connect() as conn:
        with pytest.raises(OperationalError, match="not authorized"):
            conn.execute(text(statement))
        assert conn.execute(text("SELECT count(*) FROM clientes")).scalar() == 600  # the connection still works


def test_demo_engine_cannot_write(tool_ctx: ToolContext) -> None:
    before = table_checksums(demo_db_path())
    with get_engine(tool_ctx, resolve_connection(tool_ctx, None)).connect() as conn, pytest.raises(OperationalError):
        conn.execute(text("DROP TABLE clientes"))
    assert table_checksums(demo_db_path()) == before


def test_missing_sqlite_file_is_never_created(tool_ctx: ToolContext, tmp_path: Path) -> None:
    missing = tmp_path / "nao_existe.sqlite"
    conn = resolve_connection(tool_ctx, f"sqlite:///{missing}")
    with pytest.raises(ConnectionFailedError, match="não encontrado"):
        get_engine(tool_ctx, conn)
    result = test_connection(tool_ctx, conn)
    assert (result.ok, result.reason_code) == (False, "unknown_database")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("module", "url", "hint"),
    [
        ("oracledb", "oracle://scott:tiger@ora.example.com:1521/?service_name=X", "pip install 'vozbd[oracle]'"),
        ("pymssql", "mssql://sa:pw@sql.example.com/vendas", "pip install 'vozbd[mssql]'"),
        ("psycopg", "postgresql://u@127.0.0.1/x", "pip install 'psycopg[binary]'"),
        ("pymysql", "mysql://u@127.0.0.1/x", "pip install pymysql"),
    ],
)
def test_missing_driver_names_the_pip_command(
    tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch, module: str, url: str, hint: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` raise ImportError
    conn = resolve_connection(tool_ctx, url)
    with pytest.raises(DriverMissingError) as info:
        get_engine(tool_ctx, conn)
    assert hint in info.value.message
    result = test_connection(tool_ctx, conn)
    assert (result.ok, result.reason_code) == (False, "driver_missing") and hint in result.message


# --- test_connection on live servers -------------------------------------------------------
def test_connection_ok_on_every_live_dialect(tool_ctx: ToolContext, demo_pg_url: str, demo_mysql_url: str) -> None:
    expected = {None: "SQLite ", demo_pg_url: "PostgreSQL ", demo_mysql_url: "MariaDB "}
    for target, prefix in expected.items():
        result = test_connection(tool_ctx, resolve_connection(tool_ctx, target))
        assert result.ok, result.message
        assert result.server_version.startswith(prefix)
        assert result.latency_ms is not None and result.latency_ms >= 0
        assert result.reason_code is None


def test_saved_pg_connection_with_password_works_and_is_masked(tool_ctx: ToolContext, pg_url: str) -> None:
    tool_ctx.registry.add("pg", _with(pg_url, password=PASSWORD))  # trust auth ignores the password
    result = test_connection(tool_ctx, resolve_connection(tool_ctx, "pg"))
    assert result.ok and PASSWORD not in result.model_dump_json()


def _failing_cases(pg_url: str, mysql_url: str) -> list[tuple[str, str]]:
    return [
        (_with(pg_url, port=1, password=PASSWORD), "host_unreachable"),
        (_with(mysql_url, port=1, password=PASSWORD), "host_unreachable"),
        (_with(pg_url, database="vozbd_no_such_db", password=PASSWORD), "unknown_database"),
        (_with(mysql_url, database="vozbd_no_such_db"), "unknown_database"),
        (_with(mysql_url, password=PASSWORD), "auth_failed"),
        (_with(mysql_url, username="vozbd_nobody", password=PASSWORD), "auth_failed"),
        (_with(pg_url, username="vozbd_nobody", password=PASSWORD), "auth_failed"),
    ]


def test_connection_failures_are_classified_and_masked(tool_ctx: ToolContext, pg_url: str, mysql_url: str) -> None:
    for url, reason in _failing_cases(pg_url, mysql_url):
        conn = resolve_connection(tool_ctx, url)
        result = test_connection(tool_ctx, conn)
        assert (result.ok, result.reason_code) == (False, reason), (conn.masked_url, result.message)
        assert PASSWORD not in result.message
        assert result.message.count("***") >= (1 if conn.url.password else 0)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections but never answers (a hung server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_connection_timeout(tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch, silent_server: int) -> None:
    monkeypatch.setattr(connect, "CONNECT_TIMEOUT_S", 2)
    for scheme in ("postgresql", "mysql"):
        url = f"{scheme}://u:{PASSWORD}@127.0.0.1:{silent_server}/x"
        result = test_connection(tool_ctx, resolve_connection(tool_ctx, url))
        assert (result.ok, result.reason_code) == (False, "timeout"), result.message
        assert PASSWORD not in result.message


# --- error helpers -------------------------------------------------------------------------
def test_describe_db_error_masks_the_password(tool_ctx: ToolContext) -> None:
    conn = resolve_connection(tool_ctx, f"postgresql://app:{PASSWORD}@h/d")
    error = RuntimeError(f"could not connect: dsn postgresql://app:{PASSWORD}@h/d password={PASSWORD}\nmore")
    described = describe_db_error(error, conn)
    assert PASSWORD not in described and "could not connect" in described and "\n" not in described


def test_db_error_maps_connection_failures(tool_ctx: ToolContext, mysql_url: str) -> None:
    conn = resolve_connection(tool_ctx, _with(mysql_url, database="vozbd_no_such_db"))
    with pytest.raises(OperationalError) as info, get_engine(tool_ctx, conn).connect():
        pass
    mapped = db_error(info.value, conn)
    assert isinstance(mapped, ConnectionFailedError) and mapped.detail["reason"] == "unknown_database"
    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, mysql_url))
    with engine.connect() as db, pytest.raises(ProgrammingError) as syntax:
        db.execute(text("SELECT * FROM tabela_que_nao_existe"))
    other = db_error(syntax.value, conn)
    assert type(other) is DatabaseError and "tabela_que_nao_existe" in other.message


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("ORA-01017: invalid username/password; logon denied", "auth_failed"),
        ("DPY-6005: cannot connect to database (CONNECTION_ID=x). [Errno 111] Connection refused", "host_unreachable"),
        ("ORA-12514: Cannot connect to database. Service FREEPDB9 is not registered", "unknown_database"),
        ("DPY-4011: the database or network closed the connection", "timeout"),
        ("(18456, b\"Login failed for user 'sa'.DB-Lib error message 20018\")", "auth_failed"),
        ("(4060, b'Cannot open database \"vendas\" requested by the login.')", "unknown_database"),
        ("(20009, b'DB-Lib error message 20009, severity 9: Unable to connect: Adaptive Server is unavailable')",
         "host_unreachable"),
        ("something else entirely", "error"),
    ],
)  # fmt: skip
def test_classify_oracle_and_sql_server_messages(message: str, reason: str) -> None:
    assert classify_error(RuntimeError(message)) == reason


def test_resolved_connection_repr_hides_url() -> None:
    url = URL.create("postgresql+psycopg", username="u", password=PASSWORD, host="h", database="d")
    conn = ResolvedConnection("x", "postgres", url, "masked")
    assert PASSWORD not in repr(conn) and PASSWORD not in str(conn)


@pytest.mark.slow
def test_mysql_queries_may_outlive_the_connect_timeout(
    tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch, mysql_url: str
) -> None:
    monkeypatch.setattr(connect, "CONNECT_TIMEOUT_S", 2)
    with get_engine(tool_ctx, resolve_connection(tool_ctx, mysql_url)).connect() as db:
        assert db.execute(text("SELECT SLEEP(3)")).scalar() == 0


def _sqlite_file(path: Path, value: int) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x INTEGER)")
    db.execute("INSERT INTO t VALUES (?)", (value,))
    db.commit()
    db.close()


def test_a_sqlite_file_replaced_under_a_live_pool_is_read_afresh(tool_ctx: ToolContext, tmp_path: Path) -> None:
    """A nightly export replaces the file (write elsewhere, rename over): the pooled connections still hold the old
    file open, so without a check at checkout the old data would be served for as long as the process lives."""
    path = tmp_path / "export.db"
    _sqlite_file(path, 1)
    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, f"sqlite:///{path}"))
    with engine.connect() as db:
        assert db.execute(text("SELECT x FROM t")).scalar() == 1
    _sqlite_file(tmp_path / "next.db", 2)
    (tmp_path / "next.db").replace(path)
    with engine.connect() as db:
        assert db.execute(text("SELECT x FROM t")).scalar() == 2


def test_a_sqlite_file_removed_under_a_live_pool_fails_then_recovers(tool_ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    _sqlite_file(path, 1)
    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, f"sqlite:///{path}"))
    with engine.connect() as db:
        assert db.execute(text("SELECT x FROM t")).scalar() == 1
    path.unlink()
    with pytest.raises(OperationalError), engine.connect():
        pass
    _sqlite_file(path, 3)
    with engine.connect() as db:
        assert db.execute(text("SELECT x FROM t")).scalar() == 3
