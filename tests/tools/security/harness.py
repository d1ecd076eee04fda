"""Run one red-team case in one mode and classify what happened.

Modes:
- ``superuser``: through ``run_query`` on a saved connection with the admin account (privileged opt-out on):
  the validator and the pinned session are the only defences.
- ``readonly``: through ``run_query`` on a saved connection with the read-only role (the normal path).
- ``bypass``: the read-only role's pinned session executes the SQL directly, validator skipped: the database
  privileges alone must stop every write and every file/catalog read.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from tests.tools.security.corpus import Case
from tests.tools.security.targets import LEAK_MARKERS, Target
from tools import errors
from tools.context import ToolContext
from tools.db.connect import get_engine, resolve_connection
from tools.errors import (
    DatabaseError,
    InvalidInputError,
    QueryTimeoutError,
    ToolError,
    UnknownConnectionError,
    UnsafeQueryError,
)
from tools.safe_query import RunQueryInput, run_query
from tools.safe_query.execute import execute_readonly
from tools.schema_inspect import InspectSchemaInput, inspect_schema

SUPERUSER, READONLY = "rt_admin", "rt_ro"
# vozbd's own refusals before the database is reached: the validator, input checks, the privileged-connection check
VOZBD_REFUSALS: tuple[type[ToolError], ...] = tuple(
    error
    for error in (
        UnsafeQueryError,
        InvalidInputError,
        UnknownConnectionError,
        getattr(errors, "PrivilegedConnectionError", None),
    )
    if error is not None
)

# The database said no because of grants, the read-only transaction or a read-only file.
PRIVILEGE_REFUSAL = re.compile(
    r"permission denied|must be superuser|read-only transaction|only superuser|must be owner|"
    r"denied|read[ -]only|readonly|attempt to write|not authorized|privilege|superuser|"
    r"must have|is not allowed|requires .* role",
    re.IGNORECASE,
)


# The database stopped a value or result at a size limit (SQLITE_LIMIT_LENGTH, max_allowed_packet, 1 GB varlena),
BUDGET_REFUSAL = re.compile(
    r"string or blob too big|larger than max_allowed_packet|requested length too large|"
    r"invalid memory alloc request size|out of memory|too large|exceeds the (?:byte|size) (?:budget|limit)|"
    # ... or at a nesting limit of its parser/evaluator (deep parentheses, CASE, JSON)
    r"stack depth limit exceeded|parser stack overflow|thread stack overrun|expression tree is too large|"
    r"memory exhausted|too deeply nested|value overflows numeric format",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Observation:
    outcome: str
    """One of corpus.OUTCOMES, or ``leaked`` / ``side-effect:<check>`` / ``error:<type>`` (always a failure)."""
    detail: str


def register(ctx: ToolContext, target: Target) -> None:
    """Save the two connections of ``target`` under SUPERUSER (privileged opt-out) and READONLY.

    MariaDB: every new session starts with ``NO_BACKSLASH_ESCAPES`` added to ``sql_mode`` — the hostile server
    default of issue #11 (we cannot change the shared server's global mode); the pinned session must undo it.
    """
    add = ctx.registry.add
    try:  # sec's opt-out for privileged connections, when it exists
        add(SUPERUSER, target.admin_url, allow_privileged=True)  # type: ignore[call-arg]  # keyword accepted at run time (pydantic alias / settings field)
    except TypeError:
        add(SUPERUSER, target.admin_url)
    add(READONLY, target.readonly_url)
    if target.dialect == "mysql":
        for name in (SUPERUSER, READONLY):
            event.listen(get_engine(ctx, resolve_connection(ctx, name)), "connect", _no_backslash_escapes)


def _no_backslash_escapes(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")


def _text_of(columns: list[str], rows: list[Any]) -> str:
    return repr(columns) + repr(rows)


def _leak(target: Target, output: str) -> str | None:
    folded = output.casefold()  # upper('...') or initcap() of a file is still the file
    for marker in (*LEAK_MARKERS, *target.secrets):
        if marker and marker.casefold() in folded:
            return marker
    if re.search(r"\*[0-9A-F]{40}\b|md5[0-9a-f]{32}\b", output):
        return "password hash"
    return None


def execute(
    case: Case,
    dialect: str,
    mode: str,
    target: Target,
    ctx: ToolContext,
    extra: dict[str, str],
    connection: str | None = None,
) -> Observation:
    """Run ``case.sql`` in ``mode`` (``connection`` overrides the saved connection the mode uses)."""
    sql = target.fill(case.sql, extra)
    try:
        if mode == "bypass":
            conn = resolve_connection(ctx, connection or READONLY)
            limits = ctx.query_limits
            raw = execute_readonly(get_engine(ctx, conn), dialect, sql, limits.max_rows, limits.timeout_s)
            columns, rows, truncated = raw.columns, raw.rows, raw.truncated
        elif mode == "tool-schema":
            schema = inspect_schema(InspectSchemaInput(connection=connection), ctx)
            columns, rows, truncated = ["schema"], [[schema.model_dump_json()]], False
        else:
            name = connection or (SUPERUSER if mode == "superuser" else READONLY)
            result = run_query(RunQueryInput(sql=sql, connection=name), ctx)
            columns, rows, truncated = result.columns, result.rows, result.truncated
    except VOZBD_REFUSALS as error:
        return Observation("refused-by-validator", f"{type(error).__name__}: {error.detail.get('code', '')} {error}")
    except QueryTimeoutError as error:
        return Observation("limited", f"timeout: {error}")
    except DatabaseError as error:
        message = str(error.detail.get("driver_message") or error)
        if BUDGET_REFUSAL.search(message):
            return Observation("limited", f"size limit: {message[:300]}")
        if PRIVILEGE_REFUSAL.search(message) or (case.refusal and re.search(case.refusal, message, re.I)):
            return Observation("refused-by-privileges", message[:300])
        return Observation("error:database", message[:300])
    except ToolError as error:
        return Observation(f"error:{type(error).__name__}", str(error)[:300])
    output = _text_of(columns, rows)
    leaked = _leak(target, output)
    if leaked:
        return Observation("leaked", f"{leaked!r} in {output[:200]}")
    if truncated or "truncad" in output.lower():
        return Observation("limited", output[:200])
    return Observation("allowed-harmless", output[:200])


def record(case: Case, dialect: str, mode: str, observed: Observation, side_effect: str | None, ok: bool) -> None:
    """Append what happened to ``$VOZBD_RT_RECORD`` (JSON lines) when set: input of ``tests.tools.security.holes``."""
    path = os.environ.get("VOZBD_RT_RECORD")
    if not path:
        return
    line = {"id": case.id, "dialect": dialect, "mode": mode, "outcome": observed.outcome, "ok": ok}
    line |= {"detail": observed.detail[:160], "side_effect": side_effect}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


# --- side-effect oracles (run with the admin account after each case) --------------------------------------
def canary_intact(target: Target) -> bool:
    rows = _admin_rows(target, "SELECT id, v FROM rt_canario ORDER BY id")
    return [tuple(r) for r in rows] == [(1, "intacto")]


def _admin_rows(target: Target, sql: str) -> list[Any]:
    engine = create_engine(target.admin_url)
    try:
        with engine.connect() as db:
            return list(db.execute(text(sql)).fetchall())
    finally:
        engine.dispose()


def check(name: str | None, target: Target, extra: dict[str, str], ctx: ToolContext) -> str | None:
    """``None`` when the oracle ``name`` finds no side effect, else what it found.

    After a side effect the pooled sessions are closed (locks die with them), so one hole does not leak into the
    next case.
    """
    found = _check(name, target, extra) or _dirty_session(target, ctx)
    if found is None and name == "fts_tokenizer_intact":
        found = _fts_tokenizer_replaced(ctx)
    if found is not None:
        for engine in ctx.caches.get("engines", {}).values():
            engine.dispose()
    return found


_SESSION_PROBES = {
    # dialect -> (probe SQL, predicate over its first row that is true for a clean session, what is left behind)
    "sqlite": ("SELECT count(*) FROM pragma_database_list", lambda row: row[0] <= 2, "an attached database"),
    "mysql": (
        "SELECT @vozbd_rt, @@session.character_set_client, IS_USED_LOCK('vozbd_rt') = CONNECTION_ID()",
        lambda row: row[0] is None and row[1] == "utf8mb4" and not row[2],
        "a user variable, SET NAMES or a named lock",
    ),
    "postgres": (
        "SELECT current_user = session_user, current_setting('search_path'), "
        "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())",
        lambda row: row[0] and row[1] == '"$user", public' and row[2] == 0,
        "a role, search_path or advisory lock",
    ),
}


def _builtin_simple_tokenizer() -> bytes:
    db = sqlite3.connect(":memory:")
    try:
        return bytes(db.execute("SELECT fts3_tokenizer('simple')").fetchone()[0])
    finally:
        db.close()


def _fts_tokenizer_replaced(ctx: ToolContext) -> str | None:
    """SQLite: a pooled connection whose FTS3 'simple' tokenizer now points elsewhere (the next MATCH crashes)."""
    builtin = _builtin_simple_tokenizer()
    for engine in ctx.caches.get("engines", {}).values():
        if engine.dialect.name != "sqlite":
            continue
        connections = []
        try:
            for _ in range(engine.pool.checkedin()):
                connections.append(engine.connect())
            for db in connections:
                try:
                    pointer = db.exec_driver_sql("SELECT fts3_tokenizer('simple')").scalar()
                except SQLAlchemyError:  # the function is refused on vozbd's connections: nothing was replaced
                    continue
                finally:
                    db.rollback()
                if pointer is not None and bytes(pointer) != builtin:
                    return f"pooled SQLite connection keeps a replaced fts3 tokenizer pointer {bytes(pointer)!r}"
        finally:
            for db in connections:
                db.close()
    return None


def _dirty_session(target: Target, ctx: ToolContext) -> str | None:
    """What a case left in the pooled sessions (every idle connection of every cached engine is checked)."""
    sql, clean, what = _SESSION_PROBES[target.dialect]
    for engine in ctx.caches.get("engines", {}).values():
        idle = engine.pool.checkedin()
        connections = []
        try:
            for _ in range(idle):
                connections.append(engine.connect())
            for db in connections:
                try:
                    row = db.exec_driver_sql(sql).fetchone()
                except SQLAlchemyError:  # not a working database (e.g. an attack URL pointing at a text file)
                    break
                db.rollback()
                if row is None or not clean(row):
                    return f"pooled session keeps {what}: {tuple(row or ())}"
        finally:
            for db in connections:
                db.close()
    return None


def _check(name: str | None, target: Target, extra: dict[str, str]) -> str | None:
    if not canary_intact(target):
        restore_canary(target)
        return "rt_canario changed"
    if name is None:
        return None
    if name == "no_file":
        return f"file written: {extra['out_path']}" if Path(extra["out_path"]).exists() else None
    if name == "no_locks":
        if target.dialect == "postgres":
            rows = _admin_rows(
                target,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            return None if rows[0][0] == 0 else f"{rows[0][0]} advisory lock(s) held"
        if target.dialect == "mysql":
            rows = _admin_rows(target, "SELECT IS_USED_LOCK('vozbd_rt')")
            return None if rows[0][0] is None else "named lock vozbd_rt held"
        return None
    if name == "victim_alive":
        try:
            target.victim.execute("SELECT 1")
            target.victim.rollback()
        except psycopg.Error as error:  # OperationalError once the backend is gone
            target.reconnect_victim()
            return f"victim session killed: {error}"
        return None
    if name == "no_open_transaction":  # a row/table lock or snapshot left open after the request
        if target.dialect == "postgres":
            rows = _admin_rows(
                target,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'",
            )
        elif target.dialect == "mysql":
            rows = _admin_rows(
                target,
                "SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p "
                "ON p.ID = t.trx_mysql_thread_id WHERE p.DB = DATABASE() AND p.COMMAND = 'Sleep'",
            )
        else:
            return None
        return None if rows[0][0] == 0 else f"{rows[0][0]} idle session(s) left in a transaction"
    if name == "no_sequence_change":  # MariaDB NEXTVAL/SETVAL write the sequence table (cache of 1000)
        if target.dialect != "mysql":
            return None
        rows = _admin_rows(target, "SELECT next_not_cached_value FROM rt_seq")
        if rows[0][0] == 1:
            return None
        engine = create_engine(target.admin_url)
        try:
            with engine.connect() as db:
                db.execute(text("ALTER SEQUENCE rt_seq RESTART WITH 1"))
        finally:
            engine.dispose()
        return f"sequence rt_seq advanced to {rows[0][0]}"
    if name == "fts_tokenizer_intact":  # checked on the pooled connections by check()
        return None
    if name == "no_slot":
        rows = _admin_rows(target, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'vozbd_rt%'")
        return None if rows[0][0] == 0 else "replication slot created"
    raise AssertionError(f"unknown check {name}")


def restore_canary(target: Target) -> None:
    """Put ``rt_canario`` back after a write got through (the test has already failed on it)."""
    engine = create_engine(target.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as db:
            db.execute(text("DELETE FROM rt_canario"))
            db.execute(text("INSERT INTO rt_canario VALUES (1, 'intacto')"))
    finally:
        engine.dispose()
