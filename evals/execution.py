"""Run gold and predicted SQL through the same read-only path the agent uses (``tools.safe_query.run_query``).

Also ``validate_suite``: every gold query of a suite runs and returns at least one row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from evals.scoring import Comparison, compare_results, gold_is_ordered, normalize_value
from evals.suite import EvalCase, Suite
from tools.context import ToolContext
from tools.errors import ToolError

DEFAULT_EVAL_MAX_ROWS = 10_000


@dataclass(frozen=True)
class Executed:
    """A query's outcome: rows (or the typed error's code and message)."""

    sql: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    truncated: bool = False
    elapsed_ms: float | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def preview(self, limit: int = 5) -> list[list[Any]]:
        """The first rows as JSON-ready normalised values (for results.jsonl and the report)."""
        return [[_jsonable(normalize_value(v)) for v in row] for row in self.rows[:limit]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


def eval_context(ctx: ToolContext, max_rows: int = DEFAULT_EVAL_MAX_ROWS) -> ToolContext:
    """The tool context with the eval's row cap (same registry, caches and timeout)."""
    limits = dataclasses.replace(ctx.query_limits, max_rows=max_rows)
    return dataclasses.replace(ctx, query_limits=limits, accept_urls=True)  # gold/predicted SQL of the operator's suite


def connection_dialect(ctx: ToolContext, db: str | None) -> tuple[str, str]:
    """``(masked connection label, sqlglot dialect)`` of a suite ``db`` value; raises ``ToolError`` if unknown."""
    from tools.db.connect import resolve_connection

    resolved = resolve_connection(ctx, db)
    label = resolved.masked_url if db and "://" in db else resolved.name
    return label, resolved.dialect


def execute_sql(ctx: ToolContext, sql: str, db: str | None) -> Executed:
    """Execute ``sql`` read-only on ``db``; a ``ToolError`` (unsafe, DB error, timeout) becomes an error outcome."""
    from tools.safe_query import RunQueryInput, run_query

    try:
        result = run_query(RunQueryInput(sql=sql, connection=db, max_rows=ctx.query_limits.max_rows), ctx)
    except ToolError as error:
        return Executed(sql=sql, error_code=error.code, error_message=error.message)
    return Executed(
        sql=sql,
        columns=tuple(result.columns),
        rows=tuple(tuple(row) for row in result.rows),
        truncated=bool(result.truncated),
        elapsed_ms=result.elapsed_ms,
    )


def compare_executed(gold: Executed, pred: Executed, dialect: str) -> Comparison:
    return compare_results(gold.columns, gold.rows, pred.columns, pred.rows, ordered=gold_is_ordered(gold.sql, dialect))


@dataclass
class GoldCheck:
    case_id: str
    db: str | None
    dialect: str | None = None
    row_count: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ValidationReport:
    checks: list[GoldCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[GoldCheck]:
        return [c for c in self.checks if not c.ok]


def check_gold(ctx: ToolContext, case: EvalCase, db: str | None) -> GoldCheck:
    check = GoldCheck(case_id=case.id, db=db)
    try:
        _, check.dialect = connection_dialect(ctx, db)
    except ToolError as error:
        check.error = f"{error.code}: {error.message}"
        return check
    try:
        sql = case.gold_for(check.dialect)
    except KeyError as error:
        check.error = str(error.args[0])
        return check
    executed = execute_sql(ctx, sql, db)
    if not executed.ok:
        check.error = f"{executed.error_code}: {executed.error_message}"
    elif not executed.rows:
        check.error = "empty result: the gold SQL returned no rows"
    check.row_count = len(executed.rows)
    return check


def validate_suite(suite: Suite, ctx: ToolContext, *, db: str | None = None) -> ValidationReport:
    """Run every case's gold SQL (on ``db`` when given, else the case's db); failures name the case and why."""
    return ValidationReport([check_gold(ctx, case, db or case.db) for case in suite.cases])
