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

_ATOMIC = (exp.Column, exp.Literal, exp.Paren, exp.Null, exp.Boolean)
"""Operands whose text needs no parentheses around it next to ``REGEXP`` (anything else gets them)."""
REGEXP_FLAGS = {"c": "(?-i)", "i": "(?i)", "m": "(?m)", "n": "(?s)", "u": ""}
"""MySQL's ``REGEXP_LIKE`` match_type letters as inline options of the pattern, which PCRE2 (MariaDB) and ICU
(MySQL 8) both read. Applied left to right, so the rightmost of ``c``/``i`` wins, as MySQL documents. ``u`` (only
``\\n`` ends a line) is already MariaDB's newline convention, so it adds nothing there."""


def _operand(node: exp.Expr) -> str:
    text = generate(node, "mysql")
    return text if isinstance(node, _ATOMIC) else f"({text})"


def _inline_flags(node: exp.RegexpLike) -> str:
    """Inline options for ``node``'s third argument; ``UnsafeQueryError`` unless a literal of known letters."""
    flag = node.args.get("flag")
    if flag is None:
        return ""
    if not (isinstance(flag, exp.Literal) and flag.is_string and set(flag.this) <= REGEXP_FLAGS.keys()):
        detail: dict[str, object] = {"flags": flag.sql(dialect="mysql")}
        message = messages.rejection("regexp_flags", "mysql", detail)
        raise UnsafeQueryError(message, detail={"code": "regexp_flags", "dialect": "mysql", **detail})
    return "".join(REGEXP_FLAGS[letter] for letter in flag.this)


def _mariadb_compatible(tree: exp.Expr) -> exp.Expr:
    """``tree`` with ``REGEXP_LIKE(a, b[, flags])`` written as MariaDB's and MySQL's ``(a REGEXP b)`` operator.

    Operands other than a column, literal or parenthesised expression are parenthesised (``x OR y REGEXP 'p'``
    would mean ``x OR (y REGEXP 'p')``); flags become inline options before the pattern
    (``a REGEXP CONCAT('(?i)', b)``). The operands become raw text, which no later check could see into: the rewrite
    works on a copy, so the caller's tree (which validation may still walk) keeps its structure.
    """
    if tree.find(exp.RegexpLike) is None:
        return tree
    tree = tree.copy()
    for node in reversed(list(tree.find_all(exp.RegexpLike))):  # innermost first: outer operands hold their text
        pattern = _operand(node.expression)
        flags = _inline_flags(node)
        if flags:
            pattern = f"CONCAT({generate(exp.Literal.string(flags), 'mysql')}, {pattern})"
        rewritten = exp.Paren(this=exp.var(f"{_operand(node.this)} REGEXP {pattern}"))
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
