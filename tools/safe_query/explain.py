"""The ``explain_query`` tool: the database's plan for one read-only query, never executing it.

Per dialect: PostgreSQL ``EXPLAIN (FORMAT TEXT)``, MySQL/MariaDB ``EXPLAIN``, SQLite ``EXPLAIN QUERY PLAN``.
``ANALYZE`` (which runs the statement) is never added and is refused when given. Oracle's ``EXPLAIN PLAN FOR``
writes into PLAN_TABLE and SQL Server needs ``SET SHOWPLAN`` on the session, so both are refused.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

from tools.audit import audited
from tools.context import ToolContext
from tools.db.connect import ResolvedConnection, get_engine, resolve_connection
from tools.errors import DatabaseError, InvalidInputError
from tools.policy import policy_for
from tools.policy.query import scrub_error
from tools.safe_query.dialects import generate
from tools.safe_query.execute import execute_readonly
from tools.safe_query.result import json_safe
from tools.safe_query.scope import connection_schemas
from tools.safe_query.tool import enforce_policy, views_checked
from tools.safe_query.validator import validate

log = logging.getLogger(__name__)

EXPLAIN_PREFIX = {
    "postgres": "EXPLAIN (FORMAT TEXT)",
    "mysql": "EXPLAIN",
    "sqlite": "EXPLAIN QUERY PLAN",
}
MAX_PLAN_LINES = 200
PLAN_BUDGET = 12_000


class ExplainQueryInput(BaseModel):
    sql: str = Field(
        description="ONE read-only query (SELECT / WITH ... SELECT / UNION) to explain; it is not executed."
    )
    connection: str | None = Field(
        default=None,
        description="Name of a configured connection (see list_connections). Empty = the default connection.",
    )


class ExplainResult(BaseModel):
    connection: str
    dialect: str
    explained_sql: str = Field(description="The EXPLAIN statement that ran.")
    plan: list[str] = Field(description="The plan, one line per row of the database's EXPLAIN output.")
    truncated: bool = Field(False, description="True when the plan was longer than the lines shown.")
    elapsed_ms: float

    def to_text(self) -> str:
        more = "\n… (plano cortado)" if self.truncated else ""
        return f"Plano de execução ({self.dialect}), sem executar a consulta:\n" + "\n".join(self.plan) + more

    def to_structured(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _plan_lines(columns: list[str], rows: list[tuple[Any, ...]], dialect: str) -> list[str]:
    if dialect == "sqlite" and "detail" in columns:  # (id, parent, notused, detail): indent by depth
        index, parent_index, id_index = columns.index("detail"), columns.index("parent"), columns.index("id")
        depth: dict[Any, int] = {0: -1}
        lines = []
        for row in rows:
            level = depth.get(row[parent_index], -1) + 1
            depth[row[id_index]] = level
            lines.append("  " * level + str(row[index]))
        return lines
    if len(columns) == 1:
        return [str(row[0]) for row in rows]
    return [" | ".join(columns)] + [" | ".join("NULL" if v is None else str(json_safe(v)) for v in row) for row in rows]


def _fit(lines: list[str]) -> tuple[list[str], bool]:
    kept: list[str] = []
    used = 0
    for line in lines[:MAX_PLAN_LINES]:
        if kept and used + len(line) + 1 > PLAN_BUDGET:
            return kept, True
        kept.append(line[:PLAN_BUDGET])
        used += len(line) + 1
    return kept, len(lines) > len(kept)


def explain_query(params: ExplainQueryInput, ctx: ToolContext) -> ExplainResult:
    """Show how the database would run ONE read-only query (its plan: scans, indexes, joins, estimated rows)
    without running it. Use it to check that a query on a big table uses an index, or to understand a timeout
    before retrying. Works on PostgreSQL, MySQL/MariaDB and SQLite; ANALYZE (which executes) is never used.
    The same read-only checks as run_query apply to the query.
    """
    conn = resolve_connection(ctx, params.connection)
    with audited(ctx.audit, "explain_query", conn.name, params.sql) as event:
        result = _explain(params, ctx, conn)
        event.rows = len(result.plan)
    return result


def _explain(params: ExplainQueryInput, ctx: ToolContext, conn: ResolvedConnection) -> ExplainResult:
    prefix = EXPLAIN_PREFIX.get(conn.dialect)
    if prefix is None:
        raise InvalidInputError(
            f"explain_query não está disponível para {conn.dialect}; use run_query com uma consulta mais simples.",
            detail={"dialect": conn.dialect},
        )
    database = conn.url.database if conn.dialect in ("postgres", "mysql") else None
    policy = policy_for(ctx.policies, conn.name)
    engine = get_engine(ctx, conn)
    schemas = connection_schemas(ctx, conn, engine, policy)
    inner = validate(params.sql, conn.dialect, database, schemas=schemas)
    if inner.kind == "explain" and inner.tree is not None:  # "EXPLAIN SELECT ...": explain the query inside
        inner = validate(generate(inner.tree, conn.dialect), conn.dialect, database, schemas=schemas)
    if inner.kind != "query":
        raise InvalidInputError(
            "explain_query explica consultas SELECT (ou WITH ... SELECT / UNION); SHOW e DESCRIBE não têm plano.",
            detail={"kind": inner.kind},
        )
    enforce_policy(ctx, conn, inner, policy)
    # the EXPLAIN itself passes the validator too
    statement = validate(f"{prefix} {inner.sql}", conn.dialect, database, schemas=schemas)
    timeout = min(ctx.query_limits.timeout_s, policy.timeout_s or ctx.query_limits.timeout_s)
    try:
        check = views_checked(conn, inner, database, schemas, prefix)  # MariaDB: EXPLAIN of the inlined text
        raw = execute_readonly(
            engine,
            conn.dialect,
            statement.sql,
            MAX_PLAN_LINES,
            timeout,
            schemas=schemas,
            preflight=check,
            postflight=check.after if check else None,
        )
    except DatabaseError as error:
        raise (scrub_error(error) if policy.restricts_names else error) from None
    lines, cut = _fit(_plan_lines(raw.columns, raw.rows, conn.dialect))
    log.info("explain_query on %s: %d plan lines in %.1f ms", conn.name, len(lines), raw.elapsed_ms)
    return ExplainResult(
        connection=conn.name,
        dialect=conn.dialect,
        explained_sql=statement.sql,
        plan=lines,
        truncated=cut or raw.truncated,
        elapsed_ms=raw.elapsed_ms,
    )
