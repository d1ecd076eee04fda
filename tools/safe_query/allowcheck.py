"""Check one parse node against the allowlists (``allowlist.py``): node kinds, functions, catalogs.

Raised as ``TokenCheckError``-like ``Refusal`` so the validator turns it into ``UnsafeQueryError`` with one of the
codes ``denied_function`` (a function not on the list, a qualified call, a size-limited call too big),
``catalog_not_allowed`` (system catalogs, other databases) or ``node_not_allowed`` (syntax outside the allowlist).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlglot import exp

from tools.safe_query.allowlist import (
    AGGREGATES,
    ANONYMOUS,
    INFORMATION_SCHEMA_VIEWS,
    NODE_KINDS,
    SIZE_LIMIT,
    SIZE_LIMITED_KINDS,
    SIZE_LIMITED_NAMES,
    SQLITE_CATALOG_TABLES,
    SYSTEM_SCHEMAS,
    TYPED_FUNCTIONS,
)
from tools.safe_query.denylist import find_denied
from tools.safe_query.settings import PG_READABLE_SETTINGS

_AGGREGATE_TYPES = tuple(AGGREGATES)
REPEAT_COLUMN_LIMIT = 100
"""``repeat(column, n)``: the column's values may be long, so ``n`` stays small."""
SQLITE_PRAGMA_FUNCTIONS = frozenset(
    {"pragma_table_info", "pragma_table_xinfo", "pragma_index_list", "pragma_index_info", "pragma_foreign_key_list"}
)


class Refusal(Exception):
    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


# printf/format directives whose width or precision is '*' or has 5+ digits can build huge strings. A directive
# may start with a position (``%1$900000000s`` in PostgreSQL's format(), ``%2$*1$d``): '$' is part of the prefix.
_WIDE_DIRECTIVE = re.compile(r"%[-+ 0#,'0-9$]*(\*|\d{5,})|%[-+ 0#,'0-9$]*\.(\*|\d{5,})")


def check_node(node: exp.Expr, dialect: str, database: str | None, schemas: Collection[str] | None = None) -> None:
    """Raise ``Refusal`` when ``node`` is outside the allowlists of ``dialect``."""
    if isinstance(node, exp.Func) and type(node) not in NODE_KINDS:
        _check_function(node, dialect)
    elif type(node) not in NODE_KINDS:
        raise Refusal("node_not_allowed", keyword=type(node).__name__)
    if isinstance(node, exp.Table):
        _check_table(node, dialect, database, schemas)


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        this = node.this
        return (this.name if isinstance(this, exp.Identifier) else str(this)).lower()
    return node.sql_name().lower()


def _deny(node: exp.Func, dialect: str, name: str) -> Refusal:
    entry = find_denied((name,), dialect)
    reason = entry.reason if entry else "não está na lista de funções permitidas"
    return Refusal("denied_function", function=name, reason=reason)


def _check_function(node: exp.Func, dialect: str) -> None:
    name = function_name(node)
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        qualifier = ".".join(i.name.lower() for i in parent.this.find_all(exp.Identifier)) if parent.this else ""
        raise Refusal("denied_function", function=f"{qualifier}.{name}", reason="chamadas qualificadas por esquema")
    if isinstance(node, exp.Anonymous):
        setting_reader = dialect == "postgres" and name == "current_setting"
        if name not in ANONYMOUS.get(dialect, frozenset()) and not setting_reader:
            raise _deny(node, dialect, name)
    elif type(node) not in TYPED_FUNCTIONS:
        raise _deny(node, dialect, name)
    _check_size(node, dialect, name)


def _args(node: exp.Func) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    ordered: list[exp.Expression] = []
    for key in node.arg_types:
        value = node.args.get(key)
        if isinstance(value, exp.Expression):
            ordered.append(value)
        elif isinstance(value, list):
            ordered += [v for v in value if isinstance(v, exp.Expression)]
    return ordered


def literal_int(node: exp.Expression | None) -> int | None:
    """The value of an integer literal node (``LIMIT 10``, ``repeat('x', 10)``); None for anything else."""
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _check_size(node: exp.Func, dialect: str, name: str) -> None:
    if dialect == "postgres" and name == "current_setting":
        arg = _args(node)[0] if _args(node) else None
        setting = arg.this.lower() if isinstance(arg, exp.Literal) and arg.is_string else None
        if setting not in PG_READABLE_SETTINGS:
            raise Refusal("denied_function", function=name, reason="só lê configurações públicas, por nome literal")
        return
    if name in ("printf", "format") or isinstance(node, exp.Format):
        first = _args(node)[0] if _args(node) else None
        if isinstance(first, exp.Literal) and first.is_string and not _WIDE_DIRECTIVE.search(first.this):
            return
        if dialect == "mysql" and not isinstance(node, exp.Anonymous):
            return  # MySQL FORMAT(number, decimals) formats a number (decimals capped at 38 by the server)
        raise Refusal("denied_function", function=name, reason="formato precisa ser um texto literal sem largura '*'")
    limited = type(node) in SIZE_LIMITED_KINDS or (isinstance(node, exp.Anonymous) and name in SIZE_LIMITED_NAMES)
    if not limited:
        return
    args = _args(node)
    if isinstance(node, exp.Space):
        count_arg = node.this
    elif isinstance(node, exp.Repeat):
        count_arg = node.args.get("times")
    elif isinstance(node, exp.Pad):
        count_arg = node.expression
    else:
        position = SIZE_LIMITED_NAMES[name]
        count_arg = args[position] if position < len(args) else None
    count = literal_int(count_arg)
    text_arg = node.this if isinstance(node, exp.Repeat | exp.Pad) else (args[0] if args else None)
    if name == "repeat" or isinstance(node, exp.Repeat):
        literal = text_arg if isinstance(text_arg, exp.Literal) and text_arg.is_string else None
        limit = SIZE_LIMIT // max(1, len(literal.this)) if literal is not None else REPEAT_COLUMN_LIMIT
        if count is not None and count > limit:
            reason = f"repete no máximo {limit} vezes (valor final até {SIZE_LIMIT} caracteres)"
            raise Refusal("denied_function", function=name, reason=reason)
    inner = (n for child in node.iter_expressions() for n in child.walk())
    nested = any(_builds_big(n) for n in inner) or any(_builds_big(n) for n in _ancestors(node))
    if count is None or not 0 <= count <= SIZE_LIMIT or nested:
        reason = f"aceita só um número literal até {SIZE_LIMIT}, sem aninhar em agregações"
        raise Refusal("denied_function", function=name, reason=reason)


def _builds_big(node: exp.Expr) -> bool:
    return isinstance(node, _AGGREGATE_TYPES) or _is_size_limited(node)


def _is_size_limited(node: exp.Expr) -> bool:
    if type(node) in SIZE_LIMITED_KINDS:
        return True
    return isinstance(node, exp.Anonymous) and function_name(node) in SIZE_LIMITED_NAMES


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    found: list[exp.Expr] = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def _check_table(node: exp.Table, dialect: str, database: str | None, schemas: Collection[str] | None) -> None:
    if not isinstance(node.this, exp.Identifier):
        return  # a table function: checked as a function
    name, schema, catalog = node.name.lower(), node.db.lower(), node.catalog.lower()
    if dialect == "mysql":
        schema, catalog = schema or catalog, ""
    system = SYSTEM_SCHEMAS.get(dialect, frozenset())
    if schema == "information_schema":
        if name not in INFORMATION_SCHEMA_VIEWS:
            raise Refusal("catalog_not_allowed", table=f"{schema}.{name}")
        return
    if schema in system or schema.startswith(("pg_temp", "pg_toast")):
        raise Refusal("catalog_not_allowed", table=f"{schema}.{name}")
    if dialect == "postgres" and not schema and name.startswith("pg_"):
        raise Refusal("catalog_not_allowed", table=name)  # pg_catalog is always on the search path
    if dialect == "sqlite" and name.startswith("sqlite_") and name not in SQLITE_CATALOG_TABLES:
        raise Refusal("catalog_not_allowed", table=name)
    if dialect == "sqlite" and name.startswith("pragma_") and name not in SQLITE_PRAGMA_FUNCTIONS:
        raise Refusal("catalog_not_allowed", table=name)
    other = catalog if dialect == "postgres" else (schema if dialect == "mysql" else "")
    if other and (database is None or other != database.lower()):
        raise Refusal("catalog_not_allowed", table=f"{other}.{name}", reason="outro banco de dados")
    if dialect == "postgres" and schema and schemas is not None and schema not in {s.lower() for s in schemas}:
        allowed = ", ".join(sorted(schemas)) or "nenhum"
        raise Refusal("schema_not_allowed", table=f"{schema}.{name}", schema=schema, allowed=allowed)
