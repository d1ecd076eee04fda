"""SQL skeletons (DAIL-SQL): the query with table/column names and literals blanked, to compare query shapes."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_SPACES = re.compile(r"\s+")
_LIST = re.compile(r"_(?:, _)+")


def _blank(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column):
        return exp.column("_")
    if isinstance(node, exp.Table):
        return exp.to_table("_")
    if isinstance(node, exp.Literal):
        return exp.Literal.string("_") if node.is_string else exp.Literal.number(0)
    if isinstance(node, exp.Boolean):
        return exp.Literal.number(0)
    if isinstance(node, exp.Alias):
        return node.this
    return node


def sql_skeleton(sql: str, dialect: str | None = None) -> str:
    """``SELECT COUNT(*) FROM clientes WHERE uf = 'SP'`` -> ``SELECT COUNT(*) FROM _ WHERE _ = '_'``.

    Aliases are dropped, so ``c.nome`` and ``nome`` give the same skeleton, and a list of blanks counts as one
    (``GROUP BY _, _`` = ``GROUP BY _``). SQL sqlglot cannot parse keeps its keywords only, still comparable."""
    read = "postgres" if dialect == "postgresql" else ("mysql" if dialect == "mariadb" else dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read or None)
    except SqlglotError:
        words = re.findall(r"[A-Za-z_]+", sql)
        return " ".join(w.upper() for w in words if w.isupper() or w.upper() in _KEYWORDS)
    for table_alias in list(tree.find_all(exp.TableAlias)):
        table_alias.pop()
    blanked = tree.transform(_blank)
    return _LIST.sub("_", _SPACES.sub(" ", blanked.sql(dialect="sqlite")).strip())


_KEYWORDS_TEXT = """
SELECT FROM WHERE GROUP BY ORDER HAVING LIMIT JOIN LEFT RIGHT INNER OUTER ON AND OR NOT IN EXISTS
COUNT SUM AVG MIN MAX DISTINCT AS UNION INTERSECT EXCEPT LIKE BETWEEN CASE WHEN THEN ELSE END DESC ASC
"""
_KEYWORDS = frozenset(_KEYWORDS_TEXT.split())
