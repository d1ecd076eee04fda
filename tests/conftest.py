"""Shared fixtures. Real databases only: PostgreSQL and MariaDB on this machine (see docs/architecture.md).

Each session gets its own uniquely named databases (dropped at the end). When a service is unreachable the
tests using it skip locally and fail under ``CI=true``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import URL, create_engine

from tools.context import ToolContext
from tools.db.connect import dispose_engines
from tools.db.demo import demo_db_path
from tools.db.registry import ConnectionRegistry

PG_HOST, PG_PORT = "127.0.0.1", 5432
MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (under CI=true) because a real service is missing."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required service unavailable under CI: {reason}")
    pytest.skip(reason)


_HOST_TAG = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_NAME_PATTERN = re.compile(rf"^vozbd_test_{_HOST_TAG}_(\d+)_[0-9a-f]+$")


def _unique_name() -> str:
    return f"vozbd_test_{_HOST_TAG}_{os.getpid()}_{secrets.token_hex(3)}"


def _stale(names: list[str]) -> list[str]:
    """Test databases left behind by killed sessions of this host (their process is gone)."""
    stale = []
    for name in names:
        match = _NAME_PATTERN.match(name)
        if not match:
            continue
        try:
            os.kill(int(match[1]), 0)
        except ProcessLookupError:
            stale.append(name)
        except PermissionError:
            pass  # alive, owned by someone else
    return stale


# --- PostgreSQL ----------------------------------------------------------------------------
def _pg_admin():  # -> psycopg.Connection
    import psycopg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="postgres", connect_timeout=3, autocommit=True
            )
        except psycopg.OperationalError as error:
            last = error
    unavailable(f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {last}")
    raise AssertionError("unreachable")


def _pg_database() -> Iterator[str]:
    admin = _pg_admin()
    user = admin.info.user
    rows = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'vozbd\\_test\\_%'").fetchall()
    for stale in _stale([r[0] for r in rows]):
        admin.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
    name = _unique_name()
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = URL.create("postgresql+psycopg", username=user, host=PG_HOST, port=PG_PORT, database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(admin.execute, name)
        admin.close()


def drop_database(execute: Callable[[str], object], name: str, attempts: int = 12) -> None:
    """``DROP DATABASE ... WITH (FORCE)`` through ``execute``, retried: a backend busy in one uninterruptible step
    (a resource attack the client already hung up on) ignores the termination until the step ends, and FORCE gives
    up after 5 s with "being accessed by other users" (SQLSTATE 55006)."""
    for attempt in range(attempts):
        try:
            execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except Exception as error:  # psycopg's ObjectInUse, bare or wrapped by SQLAlchemy
            sqlstate = getattr(error, "sqlstate", None) or getattr(getattr(error, "orig", None), "sqlstate", None)
            if sqlstate != "55006" or attempt == attempts - 1:
                raise
            time.sleep(1.0)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database for this session: ``postgresql+psycopg://postgres@127.0.0.1:5432/<db>``."""
    yield from _pg_database()


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A new empty PostgreSQL database for one test (for tests that create their own schema)."""
    yield from _pg_database()


# --- MariaDB / MySQL -----------------------------------------------------------------------
def _mysql_admin():  # -> pymysql.Connection
    import pymysql

    try:
        return pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", connect_timeout=3, autocommit=True)
    except pymysql.MySQLError as error:
        unavailable(f"MariaDB at {MYSQL_HOST}:{MYSQL_PORT} unreachable: {error}")
        raise AssertionError("unreachable") from error


def _mysql_database() -> Iterator[str]:
    admin = _mysql_admin()
    name = _unique_name()
    with admin.cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'vozbd\\_test\\_%'")
        for stale in _stale([r[0] for r in cur.fetchall()]):
            cur.execute(f"DROP DATABASE IF EXISTS `{stale}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        url = URL.create("mysql+pymysql", username="root", host=MYSQL_HOST, port=MYSQL_PORT, database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """An empty MariaDB database for this session: ``mysql+pymysql://root@127.0.0.1:3306/<db>``."""
    yield from _mysql_database()


# --- the demo database in each dialect -----------------------------------------------------
def _load_demo(url: str) -> None:
    from tools.db.demo.generate import load

    engine = create_engine(url)
    try:
        load(engine)
    finally:
        engine.dispose()


def demo_database(dialect: str) -> Iterator[str]:
    """A new database of ``dialect`` (``postgres`` or ``mysql``) with the demo data loaded, dropped at the end."""
    for url in _pg_database() if dialect == "postgres" else _mysql_database():
        _load_demo(url)
        yield url


@pytest.fixture(scope="session")
def demo_pg_url() -> Iterator[str]:
    """The demo database loaded into its own PostgreSQL database (once per session). Treat as read-only."""
    yield from demo_database("postgres")


@pytest.fixture(scope="session")
def demo_mysql_url() -> Iterator[str]:
    """The demo database loaded into its own MariaDB database (once per session). Treat as read-only."""
    yield from demo_database("mysql")


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a tmp copy of the shipped demo.sqlite (session-wide; treat as read-only)."""
    target = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copyfile(demo_db_path(), target)
    return target


# --- tool context --------------------------------------------------------------------------
@pytest.fixture
def tool_ctx(tmp_path: Path) -> Iterator[ToolContext]:
    """A ToolContext over an empty ConnectionRegistry in tmp_path (generated key); default connection = demo."""
    registry = ConnectionRegistry(tmp_path / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
    # Tests name their databases by URL and most connect as superuser: both accepted here, like an operator
    # who opted out (tests about privileges build their own context).
    ctx = ToolContext(registry=registry, accept_urls=True, allow_privileged=True)
    yield ctx
    dispose_engines(ctx)


@pytest.fixture(scope="session", autouse=True)
def _privileged_logins_accepted() -> Iterator[None]:
    """The test databases are reached as superuser: accept that (VOZBD_ALLOW_PRIVILEGED) for every test, CLI and
    server process; tests about privileges build a strict context or clear the variable themselves."""
    previous = os.environ.get("VOZBD_ALLOW_PRIVILEGED")
    os.environ["VOZBD_ALLOW_PRIVILEGED"] = "true"
    yield
    if previous is None:
        os.environ.pop("VOZBD_ALLOW_PRIVILEGED", None)
    else:
        os.environ["VOZBD_ALLOW_PRIVILEGED"] = previous


# --- least-privilege logins (the product's own recipe: tools.db.privileges.readonly_user_sql) ------------------
def _readonly_name() -> str:
    return f"vozbd_ro_{secrets.token_hex(4)}"


@contextmanager
def _readonly_login(admin_url_text: str, dialect: str) -> Iterator[str]:
    """A fresh SELECT-only login on the database of ``admin_url_text`` (unique name, dropped at the end)."""
    from sqlalchemy import make_url, text

    from tools.db.privileges import readonly_user_sql

    admin_url = make_url(admin_url_text)
    name, password = _readonly_name(), secrets.token_urlsafe(12)
    drop = (
        [f'DROP OWNED BY "{name}"', f'DROP ROLE IF EXISTS "{name}"']
        if dialect == "postgres"
        else [f"DROP USER IF EXISTS '{name}'@'%'"]
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            for statement in readonly_user_sql(dialect, name, str(admin_url.database), password=password):
                db.execute(text(statement))
        yield admin_url.set(username=name, password=password).render_as_string(hide_password=False)
    finally:
        with admin.connect() as db:
            for statement in drop:
                db.execute(text(statement))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_readonly_url(demo_pg_url: str) -> Iterator[str]:
    """The demo PostgreSQL database through a fresh SELECT-only role (unique name, dropped at the end)."""
    with _readonly_login(demo_pg_url, "postgres") as url:
        yield url


@pytest.fixture(scope="session")
def mysql_readonly_url(demo_mysql_url: str) -> Iterator[str]:
    """The demo MariaDB database through a fresh SELECT-only user (unique name, dropped at the end)."""
    with _readonly_login(demo_mysql_url, "mysql") as url:
        yield url
