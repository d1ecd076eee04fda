"""Row cap: make the database stop after ``cap + 1`` rows (the extra row tells us the result was truncated).

sqlglot rewrites the validated tree and generates the dialect's own syntax: ``LIMIT n`` (SQLite, PostgreSQL,
MySQL), ``TOP n`` (SQL Server), ``FETCH FIRST n ROWS ONLY`` (Oracle). ORDER BY is kept (the limit applies after it).
A query with its own smaller literal limit is left as is; a larger literal limit is lowered to ``cap + 1``; a
non-literal limit (``LIMIT ALL``, ``LIMIT NULL``, an expression or a subquery) is replaced by ``cap + 1``, so the
database never produces more rows than the fetch will read.
"""

from __future__ import annotations

from sqlglot import exp

from tools.safe_query.allowcheck import literal_int
from tools.safe_query.dialects import generate
from tools.safe_query.validator import ValidatedStatement


def _limit_node(tree: exp.Expr) -> exp.Limit | exp.Fetch | None:
    """The LIMIT / TOP / FETCH FIRST node of a query (sqlglot keeps FETCH under ``limit`` or ``fetch``)."""
    for key in ("limit", "fetch"):
        node = tree.args.get(key)
        if isinstance(node, exp.Limit | exp.Fetch):
            return node
    return None


def _count(node: exp.Limit | exp.Fetch) -> int | None:
    return literal_int(node.expression if isinstance(node, exp.Limit) else node.args.get("count"))


def _set_count(node: exp.Limit | exp.Fetch, count: int) -> None:
    node.set("expression" if isinstance(node, exp.Limit) else "count", exp.Literal.number(count))


def apply_row_cap(statement: ValidatedStatement, cap: int) -> str:
    """The SQL to execute for ``statement`` with at most ``cap + 1`` rows requested from the database."""
    tree: exp.Expr | None = statement.tree
    if statement.kind != "query" or tree is None or isinstance(tree, exp.Values):
        return statement.sql
    if isinstance(tree, exp.Subquery):  # "(SELECT ... LIMIT 3)": cap the query inside the parentheses
        inner = tree.unnest()
        if not isinstance(inner, exp.Query):
            return statement.sql
        tree = inner
    node = _limit_node(tree)
    count = _count(node) if node is not None else None
    if node is not None and count is not None and count <= cap + 1:
        return statement.sql if tree is statement.tree else generate(tree, statement.dialect)
    capped = tree.copy()
    existing = _limit_node(capped)
    if existing is not None:  # a larger or non-literal limit: replace it, keeping OFFSET and ORDER BY
        _set_count(existing, cap + 1)
    elif isinstance(capped, exp.Query):
        capped = capped.limit(cap + 1, copy=False)  # ``capped`` is already our own copy
    return generate(capped, statement.dialect)
