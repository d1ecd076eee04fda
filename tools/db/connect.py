"""Resolve a connection name/URL, build (cached) engines, test connections, describe driver errors safely."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from pydantic import BaseModel
from sqlalchemy import URL, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError

from tools.context import ToolContext
from tools.db.demo import demo_db_path
from tools.db.failures import classify_error, reason_message
from tools.db.privileges import PrivilegeReport, inspect_privileges
from tools.db.registry import DEMO_NAME
from tools.db.sqlite_printf import install_printf_guard
from tools.db.transport import SshOptions, SshTunnel, Transport
from tools.db.urls import dialect_of, mask_secrets, mask_url, mysql_flags, parse_url
from tools.errors import (
    ConnectionFailedError,
    DatabaseError,
    DriverMissingError,
    PrivilegedConnectionError,
    UnknownConnectionError,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
_ENGINE_LOCK = threading.Lock()

INSTALL_HINTS: dict[str, str] = {
    "postgres": "pip install 'psycopg[binary]'",
    "mysql": "pip install pymysql",
    "oracle": "pip install 'vozbd[oracle]'",
    "tsql": "pip install 'vozbd[mssql]'",
    "sqlite": "(sqlite3 faz parte do Python)",
}

_VERSION_SQL: dict[str, tuple[str, str]] = {
    "sqlite": ("SELECT sqlite_version()", "SQLite "),
    "postgres": ("SHOW server_version", "PostgreSQL "),
    "mysql": ("SELECT version()", "MySQL "),
    "oracle": ("SELECT banner FROM v$version WHERE rownum = 1", ""),
    "tsql": ("SELECT @@version", ""),
}


@dataclass(frozen=True)
class ResolvedConnection:
    """A connection ready to open. ``url`` holds the password: never print or log it (use ``masked_url``)."""

    name: str
    dialect: str
    url: URL = field(repr=False)
    masked_url: str
    is_demo: bool = False
    allow_privileged: bool = False
    """The operator accepted a login with more than read privileges for this connection."""
    transport: Transport | None = None
    """TLS / SSH tunnel of a connection declared in the config file, or the SSH tunnel saved with it."""


class ConnectionTestResult(BaseModel):
    ok: bool
    dialect: str
    server_version: str | None = None
    latency_ms: float | None = None
    reason_code: str | None = None
    """None when ok; else host_unreachable, auth_failed, unknown_database, tls_failed, driver_missing, timeout,
    ssh_* (tunnel), error."""
    message: str
    warnings: list[str] = []
    """pt-BR: what the read-only login can still do outside its transaction, with the fix (``PrivilegeReport``)."""


def demo_connection() -> ResolvedConnection:
    url = URL.create("sqlite", database=str(demo_db_path()))
    return ResolvedConnection(DEMO_NAME, "sqlite", url, mask_url(url), is_demo=True, allow_privileged=True)


def _refuse(ctx: ToolContext, target: str, allowed: tuple[str, ...]) -> UnknownConnectionError:
    visible = [n for n in allowed if n != "*"]
    if "*" in allowed:
        visible = [DEMO_NAME, *ctx.registry.names()]
    what = "URLs de banco não são aceitas aqui" if "://" in target else f"A conexão '{target}' não está disponível"
    return UnknownConnectionError(
        f"{what}. Conexões disponíveis: {', '.join(visible) or 'nenhuma'}.",
        detail={"connection": mask_url(target) if "://" in target else target, "available": visible},
    )


def resolve_connection(ctx: ToolContext, name_or_url: str | None) -> ResolvedConnection:
    """Turn a connection name or URL into a ``ResolvedConnection``.

    None/empty -> ``ctx.default_connection`` -> the demo database; ``"demo"``; a saved name; or a database URL
    (only one of ``ctx.operator_urls``, or any when ``ctx.accept_urls``: untrusted inputs name connections).
    When ``ctx.allowed_connections`` is set, only those names are accepted (``"*"`` = every saved one plus demo)
    and raw URLs are refused.
    """
    given = (name_or_url or "").strip()
    target = given or (ctx.default_connection or "").strip() or DEMO_NAME
    if given and "://" in given and not (ctx.accept_urls or given in ctx.operator_urls):
        raise UnknownConnectionError(
            "URLs de banco não são aceitas aqui: use o nome de uma conexão configurada (veja list_connections). "
            "Quem administra o vozbd cadastra conexões com: vozbd db add NOME URL.",
            detail={"connection": mask_url(given), "reason": "url_not_accepted"},
        )
    allowed = ctx.allowed_connections
    if allowed is not None:
        permitted = "://" not in target and (target in allowed or "*" in allowed)
        if not permitted:
            raise _refuse(ctx, target, allowed)
    if target == DEMO_NAME:
        return demo_connection()
    if "://" in target:
        url = parse_url(target)
        masked = mask_url(url)
        return ResolvedConnection(masked, dialect_of(url), url, masked, allow_privileged=ctx.allow_privileged)
    declared = ctx.declared_connections.get(target)
    if declared is not None:
        return ResolvedConnection(
            target,
            dialect_of(declared.url),
            declared.url,
            mask_url(declared.url),
            allow_privileged=ctx.allow_privileged or bool(getattr(declared, "allow_privileged", False)),
            transport=declared.transport,
        )
    saved = ctx.registry.saved(target)  # UnknownConnectionError lists the saved names
    return ResolvedConnection(
        target,
        dialect_of(saved.url),
        saved.url,
        mask_url(saved.url),
        allow_privileged=ctx.allow_privileged or saved.allow_privileged,
        transport=Transport(ssh=saved.ssh) if saved.ssh is not None else None,
    )


def _sqlite_readonly_url(url: URL) -> URL:
    database = url.database or ""
    if database.startswith("file:"):
        database = database[5:].split("?", 1)[0]
    path = Path(database).expanduser().resolve()
    if not path.is_file():
        raise ConnectionFailedError(
            f"Arquivo SQLite não encontrado: {path}. Confira o caminho da conexão.",
            detail={"reason": "unknown_database", "path": str(path)},
        )
    return URL.create("sqlite", database=f"file:{quote(str(path), safe='/')}", query={"mode": "ro", "uri": "true"})


def _engine_args(conn: ResolvedConnection, tunnel_port: int | None = None) -> tuple[URL, dict[str, Any]]:
    """URL and engine arguments; ``tunnel_port``: the local end of the connection's SSH tunnel."""
    url = conn.url
    if conn.dialect == "sqlite":  # a file: no server can drop the connection, so no ping (a SELECT 1 per checkout)
        return _sqlite_readonly_url(url), {"connect_args": {"check_same_thread": False, "timeout": 10}}
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    by_dialect: dict[str, dict[str, Any]] = {
        "postgres": {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "vozbd"},
        # PyMySQL reads the server greeting with read_timeout, not connect_timeout: bound both.
        "mysql": {"connect_timeout": CONNECT_TIMEOUT_S, "read_timeout": CONNECT_TIMEOUT_S},
        "oracle": {"tcp_connect_timeout": CONNECT_TIMEOUT_S},
        "tsql": {"login_timeout": CONNECT_TIMEOUT_S},
    }
    connect_args = by_dialect[conn.dialect]
    if conn.dialect == "mysql":
        connect_args = connect_args | mysql_flags(url)  # booleans, not the URL's strings ("false" is truthy)
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
    tls = conn.transport.tls if conn.transport is not None else None
    if tunnel_port is not None:
        if tls is not None and conn.dialect == "postgres":  # dial the tunnel, check the certificate's real name
            connect_args = connect_args | tls.connect_args("postgres", tunnel_port=tunnel_port)
            url, tls = url.set(port=tunnel_port), None
        else:
            if tls is not None and conn.dialect == "mysql" and tls.mode not in ("disable", "allow", "prefer"):
                connect_args = connect_args | {"ssl": tls.ssl_context(server_hostname=url.host)}
                tls = None
            url = url.set(host="127.0.0.1", port=tunnel_port)
    if tls is not None:
        connect_args = connect_args | tls.connect_args(conn.dialect)
    return url, kwargs | {"connect_args": connect_args, "pool_size": 5, "max_overflow": 5, "pool_recycle": 1800}


MAX_VALUE_BYTES = 16 * 1024 * 1024
"""Largest single value SQLite may build (``SQLITE_LIMIT_LENGTH``): ``printf('%.*c', ...)``, ``zeroblob``..."""


def limit_sqlite_values(dbapi_conn: Any) -> None:
    """No SQLite string or blob bigger than ``MAX_VALUE_BYTES`` (``printf`` widths bounded too:
    ``tools.db.sqlite_printf``); no attached database (``ATTACH 'file:x?mode=rwc'``
    would create and open another file read-write); an authorizer refuses ATTACH, DETACH, PRAGMA writes and
    the functions that change the connection itself (``fts3_tokenizer``, ``load_extension``)."""
    dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    dbapi_conn.set_authorizer(_sqlite_authorizer)
    install_printf_guard(dbapi_conn)


_PRAGMAS_WITH_ARGUMENT = frozenset(
    {
        "query_only", "busy_timeout",  # set by vozbd itself (tools.safe_query.session)
        "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",  # reflection
    }
)  # fmt: skip
_SQLITE_DENIED_ACTIONS = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})
_SQLITE_DENIED_FUNCTIONS = frozenset(
    {
        "fts3_tokenizer",  # with 2 arguments it installs a raw C pointer as a tokenizer (a crash or worse on MATCH);
        # with 1 it leaks an address. Builds with SQLITE_ENABLE_FTS3_TOKENIZER (Debian's) allow it on a mode=ro file.
        "load_extension",  # loads native code (off by default in Python's sqlite3; refused here anyway)
    }
)


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _SQLITE_DENIED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _SQLITE_DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY  # functions that change the connection itself, whatever the statement
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in _PRAGMAS_WITH_ARGUMENT:
        return sqlite3.SQLITE_DENY  # any other PRAGMA with a value sets something

    return sqlite3.SQLITE_OK


def _set_query_only(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _sqlite_file_id(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _watch_sqlite_file(engine: Engine, path: str) -> None:
    """A pooled SQLite connection keeps the file it opened: once that file is replaced (an export renamed over it)
    or removed, it would serve the old data, or "file is not a database", for as long as the process lives. A
    ``stat`` at checkout (~2 us, not a query) notices and the pool opens the file anew."""

    def opened(_dbapi: Any, record: Any) -> None:
        record.info["sqlite_file"] = _sqlite_file_id(path)

    def checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        if _sqlite_file_id(path) != record.info.get("sqlite_file"):
            log.info("SQLite file %s replaced or removed: reopening it", path)
            raise DisconnectionError("SQLite file replaced or removed")

    event.listen(engine, "connect", opened)
    event.listen(engine, "checkout", checked_out)


def _clear_mysql_read_timeout(dbapi_conn: Any, _record: Any) -> None:
    # The handshake is done: restore PyMySQL's default (no client read timeout) so long queries are governed
    # by the query timeout of the caller, not by the connect timeout. PyMySQL has no public setter for this.
    dbapi_conn._read_timeout = None


def get_engine(ctx: ToolContext, conn: ResolvedConnection) -> Engine:
    """The cached SQLAlchemy engine for ``conn`` (one per URL and transport per ToolContext; thread-safe).

    SQLite files are always opened read-only (never created). Raises ``DriverMissingError`` naming the pip
    command when the dialect's driver is not installed, ``ConnectionFailedError`` for a missing SQLite file,
    ``PrivilegedConnectionError`` when the login may do more than read and the connection does not allow it.
    """
    key = conn.url.render_as_string(hide_password=False)
    if conn.transport is not None:  # same URL, other TLS/SSH settings: another engine (repr has no secret)
        key += f"\x00{conn.transport!r}"
    with _ENGINE_LOCK:
        engines: dict[str, Engine] | None = ctx.caches.get("engines")
        if engines is None:
            engines = ctx.caches["engines"] = {}
            # Pooled connections are closed when the context goes away (or at exit), never left to the garbage
            # collector (psycopg's "connection deleted while still open" ResourceWarning after a refused login).
            weakref.finalize(ctx, _dispose_all, engines)
        engine = engines.get(key)
        if engine is None:
            engine = engines[key] = _create_engine(ctx, conn)
    check_privileges(ctx, conn, engine)
    return engine


def _create_engine(ctx: ToolContext, conn: ResolvedConnection) -> Engine:
    tunnel_port = None
    if conn.transport is not None and conn.transport.ssh is not None and conn.dialect != "sqlite":
        tunnel_port = _open_tunnel(ctx, conn.name, conn.transport.ssh, conn.url, conn.dialect)
    url, kwargs = _engine_args(conn, tunnel_port)
    try:
        engine = create_engine(url, **kwargs)
    except ImportError as error:
        hint = INSTALL_HINTS.get(conn.dialect, "pip install 'vozbd[all]'")
        log.warning("driver for %s missing: %s", conn.dialect, error)
        raise DriverMissingError(
            f"O driver Python para {conn.dialect} não está instalado. Instale com: {hint}",
            detail={"dialect": conn.dialect, "install": hint},
        ) from None
    if conn.dialect == "sqlite":
        event.listen(engine, "connect", _set_query_only)
        event.listen(engine, "connect", lambda dbapi, _record: limit_sqlite_values(dbapi))
        _watch_sqlite_file(engine, unquote((url.database or "")[len("file:") :]))
    elif conn.dialect == "mysql":
        event.listen(engine, "connect", _clear_mysql_read_timeout)
        if _plain_text_mysql(conn):
            _PLAIN_TEXT_MYSQL.add(engine)
        side = _SIDE_ENGINES[engine] = create_engine(url, **kwargs)
        event.listen(side, "connect", _clear_mysql_read_timeout)
    return engine


_SIDE_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def side_engine(engine: Engine) -> Engine:
    """A second pool to the same database, for a check made while a connection of ``engine`` is held (MariaDB's
    view re-check after the statement): taken from ``engine`` itself, ten concurrent statements would hold the
    whole pool and each wait for an eleventh connection until the pool timeout (30 s) failed them all."""
    return _SIDE_ENGINES.get(engine, engine)


def _dispose(engine: Engine) -> None:
    engine.dispose()
    side = _SIDE_ENGINES.pop(engine, None)
    if side is not None:
        side.dispose()


def privilege_report(ctx: ToolContext, conn: ResolvedConnection, engine: Engine) -> PrivilegeReport:
    """The login's privileges, inspected once per URL per ToolContext (connection failures -> typed errors)."""
    key = conn.url.render_as_string(hide_password=False)
    reports: dict[str, PrivilegeReport] = ctx.caches.setdefault("privileges", {})
    report = reports.get(key)
    if report is None:
        try:
            report = inspect_privileges(engine, conn.dialect)
        except SQLAlchemyError as error:
            raise db_error(error, conn) from None
        if report.privileged:
            log.warning("connection %s has a privileged login: %s", conn.masked_url, "; ".join(report.findings))
        elif report.warnings:
            log.warning(
                "connection %s: the read-only login can still run functions with effects outside its transaction "
                "(revoke them from PUBLIC: vozbd db create-readonly-user prints the DO block)",
                conn.masked_url,
            )
        reports[key] = report
    return report


def check_privileges(ctx: ToolContext, conn: ResolvedConnection, engine: Engine) -> None:
    """Raise ``PrivilegedConnectionError`` on first use of a login that may do more than read, unless the
    operator allowed it for this connection."""
    if conn.allow_privileged or conn.dialect not in ("postgres", "mysql"):
        return
    report = privilege_report(ctx, conn, engine)
    if report.privileged:
        raise PrivilegedConnectionError(
            report.message(conn.name),
            detail={"connection": conn.name, "findings": report.findings, "reason": "privileged"},
        )


def _open_tunnel(ctx: ToolContext, name: str, ssh: SshOptions, url: URL, dialect: str) -> int:
    """The local port of the connection's SSH tunnel to the URL's host:port (opened once per process)."""
    tunnels: dict[str, SshTunnel] = ctx.caches.setdefault("ssh_tunnels", {})
    tunnel = tunnels.get(name)
    if tunnel is None:
        default_port = {"postgres": 5432, "mysql": 3306, "oracle": 1521, "tsql": 1433}.get(dialect, 0)
        tunnel = SshTunnel(ssh, url.host or "127.0.0.1", url.port or default_port)
        tunnel.start()
        tunnels[name] = tunnel
    assert tunnel.local_port is not None
    return tunnel.local_port


def _dispose_all(engines: dict[str, Engine]) -> None:
    for engine in list(engines.values()):
        _dispose(engine)
    engines.clear()


def dispose_engines(ctx: ToolContext) -> None:
    """Close every cached engine and SSH tunnel of ``ctx`` (tests, shutdown)."""
    with _ENGINE_LOCK:
        engines: dict[str, Engine] = ctx.caches.pop("engines", {})
        tunnels: dict[str, SshTunnel] = ctx.caches.pop("ssh_tunnels", {})
    for engine in list(engines.values()):  # a background thread (value index) may still be adding one
        _dispose(engine)
    for tunnel in list(tunnels.values()):
        tunnel.close()


def describe_db_error(exc: BaseException, conn: ResolvedConnection | None = None) -> str:
    """The driver's own message for ``exc`` (one line, no SQL echo), with every password masked."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) > 1 and isinstance(args[0], int):  # PyMySQL/pymssql: (code, message)
        message = " ".join(str(a.decode(errors="replace") if isinstance(a, bytes) else a) for a in args)
    else:
        message = str(orig).strip() or type(orig).__name__
    first = " ".join(message.split("\n[SQL:", 1)[0].split())
    return mask_secrets(first, *([conn.url] if conn else []))


PLAIN_MARIADB_REFUSED = (
    ' Com TLS desligado (mode = "disable"), um MariaDB que exige TLS (require_secure_transport=ON) também recusa '
    "o login assim: confira se o servidor exige TLS."
)
"""MariaDB answers a plain-text login to a TLS-only server with the same 1045 as a wrong password (MySQL says
"insecure transport", classified as tls_failed): name the TLS cause when the connection turned TLS off."""

_PLAIN_TEXT_MYSQL: weakref.WeakSet[Engine] = weakref.WeakSet()
"""Engines of MariaDB/MySQL connections with TLS mode ``disable`` (for errors raised with only the engine)."""


def _plain_text_mysql(conn: ResolvedConnection) -> bool:
    tls = conn.transport.tls if conn.transport is not None else None
    return conn.dialect == "mysql" and tls is not None and tls.mode == "disable"


def _hint(reason: str, plain_text_mysql: bool) -> str:
    return PLAIN_MARIADB_REFUSED if reason == "auth_failed" and plain_text_mysql else ""


def failure_hint(engine: Engine, reason: str) -> str:
    """What to add to the pt-BR message of a connection failure on ``engine`` (usually nothing)."""
    return _hint(reason, engine in _PLAIN_TEXT_MYSQL)


def _failure_message(reason: str, conn: ResolvedConnection, detail: str) -> str:
    return f"{reason_message(reason, conn.masked_url)} Detalhe: {detail}{_hint(reason, _plain_text_mysql(conn))}"


def db_error(exc: BaseException, conn: ResolvedConnection) -> DatabaseError:
    """Map a driver/SQLAlchemy exception to our typed error (connection failures -> ``ConnectionFailedError``)."""
    reason = classify_error(exc)
    detail = describe_db_error(exc, conn)
    payload = {"reason": reason, "connection": conn.name, "driver_message": detail}
    if reason in ("host_unreachable", "auth_failed", "unknown_database", "timeout", "tls_failed"):
        return ConnectionFailedError(_failure_message(reason, conn, detail), detail=payload)
    return DatabaseError(f"O banco de dados retornou um erro: {detail}", detail=payload)


def test_connection(ctx: ToolContext, conn: ResolvedConnection) -> ConnectionTestResult:
    """Open a connection, read the server version and time it; classify any failure (credentials masked)."""
    sql, prefix = _VERSION_SQL[conn.dialect]
    start = time.perf_counter()
    try:
        engine = get_engine(ctx, conn)
        with engine.connect() as db:
            raw = db.execute(text(sql)).scalar()
    except (DriverMissingError, ConnectionFailedError, PrivilegedConnectionError) as error:
        reason = "driver_missing" if isinstance(error, DriverMissingError) else str(error.detail.get("reason", "error"))
        return ConnectionTestResult(ok=False, dialect=conn.dialect, reason_code=reason, message=error.message)
    except (SQLAlchemyError, OSError) as error:
        reason = classify_error(error)
        detail = describe_db_error(error, conn)
        log.info("connection test failed for %s: %s (%s)", conn.masked_url, reason, detail)
        return ConnectionTestResult(
            ok=False,
            dialect=conn.dialect,
            reason_code=reason,
            message=_failure_message(reason, conn, detail),
        )
    latency_ms = round((time.perf_counter() - start) * 1000, 1)
    warnings: list[str] = []
    if not conn.allow_privileged and conn.dialect in ("postgres", "mysql"):
        warnings = privilege_report(ctx, conn, engine).warnings
    version = str(raw).splitlines()[0].strip() if raw is not None else "?"
    if "mariadb" in version.lower():
        prefix = "MariaDB "
    version = prefix + version.replace("-MariaDB", "") if prefix and not version.startswith(prefix) else version
    return ConnectionTestResult(
        ok=True,
        dialect=conn.dialect,
        server_version=version,
        latency_ms=latency_ms,
        message=f"Conexão OK: {version} ({latency_ms:.0f} ms).",
        warnings=warnings,
    )


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported into tests
