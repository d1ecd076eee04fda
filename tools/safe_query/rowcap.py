"""Row cap: make the database stop after ``cap + 1`` rows (the extra row tells us the result was truncated).

sqlglot rewrites the validated tree and generates the dialect's own syntax: ``LIMIT n`` (SQLite, PostgreSQL,
MySQL), ``TOP n`` (SQL Server), ``FETCH FIRST n ROWS ONLY`` (Oracle). ORDER BY is kept (the limit applies after it).
A query with its own smaller literal limit is left as is; a larger literal limit is lowered to ``cap + 1``; a
non-literal limit is kept and the fetch itself stops at ``cap + 1`` rows.
"""

from __future__ import annotations

from sqlglot import exp

from tools.safe_query.dialects import generate
from tools.safe_query.validator import ValidatedStatement


def _literal_int(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _existing_limit(tree: exp.Expression) -> tuple[bool, int | None]:
    """(has a limit clause, its literal row count or None)."""
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit):
        return True, _literal_int(limit.expression)
    fetch = tree.args.get("fetch")
    if isinstance(fetch, exp.Fetch):
        return True, _literal_int(fetch.args.get("count"))
    return False, None


def apply_row_cap(statement: ValidatedStatement, cap: int) -> str:
    """The SQL to execute for ``statement`` with at most ``cap + 1`` rows requested from the database."""
    tree = statement.tree
    if statement.kind != "query" or tree is None or isinstance(tree, exp.Values):
        return statement.sql
    if isinstance(tree, exp.Subquery):  # "(SELECT ... LIMIT 3)": cap the query inside the parentheses
        tree = tree.unnest()
        if not isinstance(tree, exp.Query):
            return statement.sql
    present, count = _existing_limit(tree)
    if present and (count is None or count <= cap + 1):
        return statement.sql if tree is statement.tree else generate(tree, statement.dialect)
    capped = tree.copy()
    if present:  # a larger literal limit: lower it, keeping OFFSET and ORDER BY
        if isinstance(capped.args.get("limit"), exp.Limit):
            capped.args["limit"].set("expression", exp.Literal.number(cap + 1))
        else:
            capped.args["fetch"].set("count", exp.Literal.number(cap + 1))
    else:
        capped = capped.limit(cap + 1) if isinstance(capped, exp.Query) else capped
    return generate(capped, statement.dialect)
