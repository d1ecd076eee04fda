"""The ``run_query`` tool: validate, cap, execute read-only, return JSON-safe rows."""

from __future__ import annotations

import dataclasses
import logging
import time
from decimal import Decimal

from pydantic import BaseModel, Field
from sqlglot import exp

from tools.audit import audited
from tools.context import ToolContext
from tools.db.connect import ResolvedConnection, get_engine, resolve_connection
from tools.errors import DatabaseError, InvalidInputError, ToolError
from tools.policy import ConnectionPolicy, model_rows_cap, policy_for
from tools.policy.query import check_query, mask_rows, scrub_error
from tools.safe_query.dialects import generate
from tools.safe_query.execute import execute_readonly
from tools.safe_query.result import DEFAULT_WINDOW, MAX_WINDOW, QueryResult, json_safe
from tools.safe_query.rowcap import apply_row_cap
from tools.safe_query.scope import connection_schemas
from tools.safe_query.validator import ValidatedStatement, validate
from tools.safe_query.views import ViewCheck, view_guard
from tools.schema_inspect.models import InspectSchemaInput
from tools.schema_inspect.tool import cached_schema

log = logging.getLogger(__name__)


MAX_OFFSET_PAGES = 10
"""``offset`` may reach this many row caps: the rows before it are fetched and dropped (any dialect, any ORDER BY)."""
MIN_COUNT_S = 0.25
"""The total row count runs only when at least this much of the query's time limit is left."""


class RunQueryInput(BaseModel):
    sql: str = Field(
        description=(
            "ONE read-only SQL query in the database's dialect: SELECT, WITH ... SELECT, UNION, EXPLAIN (without "
            "ANALYZE), SHOW or DESCRIBE. No ';' between statements, no INSERT/UPDATE/DELETE/DDL."
        )
    )
    connection: str | None = Field(
        default=None,
        description="Name of a configured connection (see list_connections). Empty = the default connection.",
    )
    max_rows: int | None = Field(
        default=None,
        ge=1,
        description=(
            f"Rows to show, from `offset` (default {DEFAULT_WINDOW}, at most {MAX_WINDOW} shown; never more than "
            "the configured row cap)."
        ),
    )
    offset: int = Field(
        default=0,
        ge=0,
        description="Rows to skip: pass `next_offset` of the previous call to page through a long result.",
    )


def _count_rows(
    ctx: ToolContext,
    conn: ResolvedConnection,
    statement: ValidatedStatement,
    database: str | None,
    schemas: tuple[str, ...] | None,
    timeout_s: float,
) -> int | None:
    """Rows of the whole query (``SELECT COUNT(*) FROM (query)``, validated like any query); None if it fails.

    ``timeout_s`` is what is left of the call's time limit: the count never makes ``run_query`` slower than it."""
    if statement.kind != "query" or not isinstance(statement.tree, exp.Query):
        return None
    if timeout_s < MIN_COUNT_S:
        log.info("row count skipped on %s: %.2f s left of the time limit", conn.name, timeout_s)
        return None
    counting = exp.select(exp.Count(this=exp.Star())).from_(statement.tree.copy().subquery("vozbd_count"))
    try:
        checked = validate(generate(counting, conn.dialect), conn.dialect, database, schemas=schemas)
        engine = get_engine(ctx, conn)
        check = views_checked(conn, checked, database, schemas)
        raw = execute_readonly(
            engine,
            conn.dialect,
            checked.sql,
            1,
            timeout_s,
            schemas=schemas,
            preflight=check,
            postflight=check.after if check else None,
        )
    except ToolError as error:
        log.info("row count skipped on %s: %s", conn.name, error.code)
        return None
    value = raw.rows[0][0] if raw.rows and raw.rows[0] else None
    return int(value) if isinstance(value, int | float | Decimal) else None


def views_checked(
    conn: ResolvedConnection,
    statement: ValidatedStatement,
    database: str | None,
    schemas: tuple[str, ...] | None,
    prefix: str = "",
) -> ViewCheck | None:
    """On a privileged connection (the opt-out), the check of every view the statement reads (``views``).

    ``statement`` is what runs (row cap included): on MariaDB the check returns it with its views inlined, after
    ``prefix`` (``EXPLAIN``)."""
    if not conn.allow_privileged or conn.is_demo:
        return None
    return view_guard(conn.dialect, statement.tree, database, schemas, validate, prefix)


def enforce_policy(
    ctx: ToolContext, conn: ResolvedConnection, statement: ValidatedStatement, policy: ConnectionPolicy
) -> list[int]:
    """Refuse what the connection's policy forbids; the result columns to mask (none without a policy)."""
    if not policy.restricts_names:
        return []
    reflected = cached_schema(ctx, conn, InspectSchemaInput(connection=conn.name)).tables
    return check_query(statement.tree if statement.kind == "query" else None, conn.dialect, policy, reflected)


def run_query(params: RunQueryInput, ctx: ToolContext) -> QueryResult:
    """Run ONE read-only SQL query and return its rows.

    Only reading is allowed: a single SELECT (or WITH ... SELECT, UNION/INTERSECT/EXCEPT, EXPLAIN without
    ANALYZE, SHOW, DESCRIBE). Anything that writes, several statements separated by ';', SELECT ... INTO,
    FOR UPDATE and dangerous functions (pg_sleep, load_file, ...) are rejected before reaching the database,
    which also runs the query in a read-only transaction with a time limit.

    The text shows `max_rows` rows starting at `offset` (20 by default, at most 200 and about 16 KB), says how
    many rows the query has in all (`total_rows`) and, when there are more, the `offset` to pass to see the
    next ones (`next_offset`). Prefer aggregating (COUNT, SUM, GROUP BY) to paging through many rows.
    `executed_sql` shows the SQL that ran (a LIMIT may have been added).

    On error, read the message: `unsafe_query` means rewrite as a plain SELECT; `database_error` carries the
    database's own message (wrong table/column name, dialect syntax): fix the SQL and try again;
    `query_timeout` means simplify the query or filter it more.
    """
    conn = resolve_connection(ctx, params.connection)
    with audited(ctx.audit, "run_query", conn.name, params.sql) as event:
        result = _run(params, ctx, conn)
        event.rows = result.row_count
    return result


def _run(params: RunQueryInput, ctx: ToolContext, conn: ResolvedConnection) -> QueryResult:
    started = time.monotonic()
    database = conn.url.database if conn.dialect in ("postgres", "mysql") else None
    policy = policy_for(ctx.policies, conn.name)
    engine = get_engine(ctx, conn)
    schemas = connection_schemas(ctx, conn, engine, policy)
    statement = validate(params.sql, conn.dialect, database, schemas=schemas)
    masked = enforce_policy(ctx, conn, statement, policy)
    limits = dataclasses.replace(
        ctx.query_limits,
        max_rows=min(ctx.query_limits.max_rows, policy.max_rows or ctx.query_limits.max_rows),
        timeout_s=min(ctx.query_limits.timeout_s, policy.timeout_s or ctx.query_limits.timeout_s),
    )
    cap = min(params.max_rows or limits.max_rows, limits.max_rows)
    if policy.model_rows is not None and params.offset > 0:  # paging would hand a model rows past its cap
        raise InvalidInputError(
            f"Esta conexão deixa o modelo ler só {policy.model_rows} linha(s) de cada resultado, sem paginar "
            "(offset): agregue (COUNT, SUM, GROUP BY) ou filtre a consulta.",
            detail={"offset": params.offset, "model_rows": policy.model_rows},
        )
    if params.offset > MAX_OFFSET_PAGES * limits.max_rows:
        raise InvalidInputError(
            f"offset pode ir até {MAX_OFFSET_PAGES * limits.max_rows}; para ir além, filtre a consulta "
            "(WHERE, ORDER BY ... LIMIT) em vez de paginar.",
            detail={"offset": params.offset, "max_offset": MAX_OFFSET_PAGES * limits.max_rows},
        )
    fetch = params.offset + cap
    executed = apply_row_cap(statement, fetch)
    running = validate(executed, conn.dialect, database, schemas=schemas)  # what runs is re-checked (canonical, capped)
    check = views_checked(conn, running, database, schemas)
    try:
        raw = execute_readonly(
            engine,
            conn.dialect,
            executed,
            fetch,
            limits.timeout_s,
            max_cell_chars=limits.max_cell_chars,
            max_result_bytes=limits.max_result_bytes,
            schemas=schemas,
            preflight=check,
            postflight=check.after if check else None,
        )
    except DatabaseError as error:
        raise (scrub_error(error) if policy.restricts_names else error) from None
    rows = mask_rows([[json_safe(value) for value in row] for row in raw.rows[params.offset :]], masked)
    total = None if raw.truncated else params.offset + len(rows) if rows or not params.offset else None
    if total is None:
        left = limits.timeout_s - (time.monotonic() - started)
        total = _count_rows(ctx, conn, statement, database, schemas, left)
    log.info("run_query on %s: %d rows in %.1f ms", conn.name, len(rows), raw.elapsed_ms)
    model_cap = model_rows_cap(policy, MAX_WINDOW)  # rows a model may read; the user sees all of `rows`
    result = QueryResult(
        connection=conn.name,
        dialect=conn.dialect,
        columns=raw.columns,
        rows=rows,
        row_count=len(rows),
        truncated=raw.truncated,
        elapsed_ms=raw.elapsed_ms,
        executed_sql=executed,
        cells_cut=raw.cells_cut,
        offset=params.offset,
        total_rows=total,
        window=min(params.max_rows or DEFAULT_WINDOW, model_cap),
        model_rows=policy.model_rows,
    )
    return result.model_copy(update={"next_offset": result.to_structured()["next_offset"]})
