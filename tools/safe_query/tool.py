"""The ``run_query`` tool: validate, cap, execute read-only, return JSON-safe rows."""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from tools.context import ToolContext
from tools.db.connect import get_engine, resolve_connection
from tools.safe_query.execute import execute_readonly
from tools.safe_query.result import QueryResult, json_safe
from tools.safe_query.rowcap import apply_row_cap
from tools.safe_query.validator import validate

log = logging.getLogger(__name__)


class RunQueryInput(BaseModel):
    sql: str = Field(
        description=(
            "UMA única consulta SQL de leitura no dialeto do banco: SELECT, WITH ... SELECT, UNION, EXPLAIN (sem "
            "ANALYZE), SHOW ou DESCRIBE. Sem ';' entre comandos, sem INSERT/UPDATE/DELETE/DDL."
        )
    )
    connection: str | None = Field(
        default=None,
        description="Nome da conexão salva (veja list_connections). Vazio = conexão padrão (ou o banco demo).",
    )
    max_rows: int | None = Field(
        default=None,
        ge=1,
        description="Máximo de linhas a devolver (não passa do limite configurado). Vazio = limite configurado.",
    )


def run_query(params: RunQueryInput, ctx: ToolContext) -> QueryResult:
    """Run ONE read-only SQL query and return its rows.

    Only reading is allowed: a single SELECT (or WITH ... SELECT, UNION/INTERSECT/EXCEPT, EXPLAIN without
    ANALYZE, SHOW, DESCRIBE). Anything that writes, several statements separated by ';', SELECT ... INTO,
    FOR UPDATE and dangerous functions (pg_sleep, load_file, ...) are rejected before reaching the database,
    which also runs the query in a read-only transaction with a time limit.

    At most `max_rows` rows come back (the configured cap when omitted); `truncated` is true when there were
    more, so aggregate (COUNT, SUM, GROUP BY) instead of listing everything. `executed_sql` shows the SQL
    that ran (a LIMIT may have been added).

    On error, read the message: `unsafe_query` means rewrite as a plain SELECT; `database_error` carries the
    database's own message (wrong table/column name, dialect syntax): fix the SQL and try again;
    `query_timeout` means simplify the query or filter it more.
    """
    conn = resolve_connection(ctx, params.connection)
    database = conn.url.database if conn.dialect in ("postgres", "mysql") else None
    statement = validate(params.sql, conn.dialect, database)
    limits = ctx.query_limits
    cap = min(params.max_rows or limits.max_rows, limits.max_rows)
    executed = apply_row_cap(statement, cap)
    validate(executed, conn.dialect, database)  # what runs is re-checked too (canonical, capped text)
    raw = execute_readonly(get_engine(ctx, conn), conn.dialect, executed, cap, limits.timeout_s)
    rows = [[json_safe(value) for value in row] for row in raw.rows]
    log.info("run_query on %s: %d rows in %.1f ms", conn.name, len(rows), raw.elapsed_ms)
    return QueryResult(
        connection=conn.name,
        dialect=conn.dialect,
        columns=raw.columns,
        rows=rows,
        row_count=len(rows),
        truncated=raw.truncated,
        elapsed_ms=raw.elapsed_ms,
        executed_sql=executed,
    )
