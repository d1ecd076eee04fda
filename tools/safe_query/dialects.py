"""Generating the SQL we execute from a sqlglot tree.

sqlglot's ``mysql`` writer targets MySQL 8; a few of its spellings do not exist on MariaDB (``REGEXP_LIKE``).
For ``mysql`` the tree is first rewritten into forms both servers accept. The rewrite works on the tree, not by
subclassing sqlglot's writer, so it also holds with the compiled sqlglot (``sqlglotc``), whose classes cannot be
subclassed. Every other dialect generates with sqlglot's own writer.
"""

from __future__ import annotations

from sqlglot import exp

from tools.errors import UnsafeQueryError
from tools.safe_query import messages


def _mariadb_compatible(tree: exp.Expr) -> exp.Expr:
    """``tree`` with ``REGEXP_LIKE(a, b)`` written as MariaDB's and MySQL's ``(a REGEXP b)`` operator.

    The operands become raw text, which no later check could see into: the rewrite works on a copy, so the
    caller's tree (which validation may still walk) keeps its structure.
    """
    if tree.find(exp.RegexpLike) is None:
        return tree
    tree = tree.copy()
    for node in reversed(list(tree.find_all(exp.RegexpLike))):  # innermost first: outer operands hold their text
        operator = exp.var(f"{generate(node.this, 'mysql')} REGEXP {generate(node.expression, 'mysql')}")
        rewritten = exp.Paren(this=operator)
        if node is tree:
            return rewritten
        node.replace(rewritten)
    return tree


def generate(tree: exp.Expr, dialect: str) -> str:
    """``tree`` as SQL text for ``dialect`` (function names as written, comments dropped).

    Generation may normalise ``tree`` in place (``copy=False``, for speed): pass a tree you own. A tree too deep for
    the writer's recursion is refused as ``too_complex`` (``UnsafeQueryError``), like a query too deep to parse; one
    the writer cannot express as ``parse_error``.
    """
    try:
        if dialect == "mysql":
            tree = _mariadb_compatible(tree)
        return tree.sql(dialect=dialect, normalize_functions=False, comments=False, copy=False)
    except RecursionError:  # a tree deeper than the writer recurses (3,000 chained casts or dots), outside validate
        from tools.safe_query.validator import MAX_TOKENS  # the validator imports this module

        detail: dict[str, object] = {"limit": MAX_TOKENS}
        message = messages.rejection("too_complex", dialect, detail)
        raise UnsafeQueryError(message, detail={"code": "too_complex", "dialect": dialect, **detail}) from None
    except TypeError:  # the compiled writer's type checks on a tree it cannot write (T-SQL DATEDIFF(a, b))
        message = messages.rejection("parse_error", dialect, {})
        raise UnsafeQueryError(message, detail={"code": "parse_error", "dialect": dialect}) from None
