"""sqlglot dialects used to *generate* the SQL we execute.

sqlglot's ``mysql`` writer targets MySQL 8; a few of its spellings do not exist on MariaDB (``REGEXP_LIKE``).
``MySQLCompat`` writes the forms both servers accept. Every other dialect generates with sqlglot's own writer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL


def _regexp(generator: Any, expression: exp.RegexpLike) -> str:
    return f"{generator.sql(expression, 'this')} REGEXP {generator.sql(expression, 'expression')}"


class MySQLCompat(MySQL):
    """MySQL output that MariaDB (10.x/11.x) also runs."""

    class Generator(MySQL.Generator):  # type: ignore[misc,valid-type]  # sqlglot declares Generator as a class attribute
        TRANSFORMS: ClassVar[dict[Any, Any]] = {**MySQL.Generator.TRANSFORMS, exp.RegexpLike: _regexp}


def generate(tree: exp.Expr, dialect: str) -> str:
    """``tree`` as SQL text for ``dialect`` (function names as written, comments dropped).

    Generation may normalise ``tree`` in place (``copy=False``, for speed): pass a tree you own.
    """
    writer: Any = MySQLCompat if dialect == "mysql" else dialect
    return tree.sql(dialect=writer, normalize_functions=False, comments=False, copy=False)
