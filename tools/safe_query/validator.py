"""The read-only validator: one statement, read-only from root to leaves, no denied function. Fails closed.

``validate(sql, dialect)`` runs, in order: versioned-comment and ``;`` checks on tokens, a leading-keyword
allow-list, EXPLAIN/SHOW/DESCRIBE handling, a sqlglot parse (exactly one statement), a root allow-list and a walk
over the *whole* tree that rejects write, transaction and session nodes anywhere (CTEs, subqueries, ...),
``SELECT ... INTO``, locking clauses and functions of the deny-list (``denylist.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from tools.errors import InvalidInputError, UnsafeQueryError
from tools.safe_query import messages
from tools.safe_query.allowcheck import Refusal, check_node
from tools.safe_query.confine import filter_information_schema, visible_schemas
from tools.safe_query.denylist import find_denied
from tools.safe_query.dialects import generate
from tools.safe_query.show import describe_sql, show_sql
from tools.safe_query.tokens import (
    READ_KEYWORDS,
    TRANSACTION_KEYWORDS,
    WRITE_KEYWORDS,
    TokenCheckError,
    dialect_instance,
    leading_keyword,
    single_statement,
    tokenize,
)

DIALECTS = ("sqlite", "postgres", "mysql", "oracle", "tsql")
MAX_SQL_CHARS = 100_000
MAX_TOKENS = 10_000
"""More tokens than this are refused before parsing: the parser's time grows with them (a 30,000-value IN list
took several seconds of CPU per request, outside the query's time limit)."""
MAX_NESTING = 32
"""Parentheses and CASE expressions nested deeper than this are refused before parsing. The interpreted sqlglot
stopped near this depth by exhausting Python's recursion limit, at a depth that varied with the caller's stack; the
compiled sqlglot (``sqlglotc``) recurses in C and goes far deeper, so the bound is explicit and the same
everywhere. No analytic query the corpora hold nests past 12."""
MAX_REPARSED_NESTING = 4
"""Brackets (``ARRAY[...]``, ``x[i]``) and parentheses opened by a type name (``DATE(``, MySQL ``BINARY(``) nested
deeper than this are refused before parsing, whatever the other parentheses. sqlglot parses each of them first as a
data type, then again as an expression: the parse time doubles (triples for ``BINARY(``) with each level, so 20
``ARRAY[`` levels took over 30 s of CPU and 18 ``DATE(`` levels 1.4 s, far under the parentheses' bound. At 4
levels a 10,000-token statement still parses in about 0.5 s."""


def _classes(*names: str) -> tuple[type[exp.Expr], ...]:
    """The sqlglot node classes named (``tests/tools/test_safe_query_lists.py`` fails if one stops existing;
    ``exp.Expr``, not ``exp.Expression``: bases such as ``DML``/``DDL`` are only ``Expr`` in sqlglot 30)."""
    found = (getattr(exp, name, None) for name in names)
    return tuple(c for c in found if isinstance(c, type) and issubclass(c, exp.Expr))


WRITE_NODES = _classes(
    "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterSession", "TruncateTable",
    "Copy", "LoadData", "Grant", "Revoke", "Comment", "Cache", "Uncache", "Refresh", "Export", "Put", "Get",
    "Install", "Returning",
)  # fmt: skip
TRANSACTION_NODES = _classes("Transaction", "Commit", "Rollback", "EndStatement")
COMMAND_NODES = _classes(
    "Command", "Set", "Use", "Pragma", "Attach", "Detach", "Kill", "Execute", "ExecuteSql", "LockingStatement",
    "Declare", "Summarize", "Analyze", "Describe", "Show", "Heredoc",
)  # fmt: skip
QUERY_ROOTS = _classes("Select", "SetOperation", "Subquery", "Values")
_CHECKED = (*TRANSACTION_NODES, *WRITE_NODES, *COMMAND_NODES, exp.Into, exp.Lock, exp.CTE, exp.Column)

EXPLAIN_KEYWORDS = frozenset({"EXPLAIN", "DESCRIBE", "DESC"})
EXPLAIN_OPTION_WORDS = frozenset(
    {
        "QUERY", "PLAN", "VERBOSE", "EXTENDED", "PARTITIONS", "FORMAT", "JSON", "TREE", "TRADITIONAL", "TEXT", "XML",
        "YAML", "COSTS", "BUFFERS", "SETTINGS", "WAL", "TIMING", "SUMMARY", "GENERIC_PLAN", "MEMORY", "SERIALIZE",
        "ON", "OFF", "TRUE", "FALSE", "NONE", "BINARY", "=", ",", "(", ")", "1", "0",
    }
)  # fmt: skip
QUERY_START = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "("})


@dataclass(frozen=True)
class ValidatedStatement:
    """A statement that passed every check. ``sql`` is the canonical text we execute (comments removed)."""

    original: str
    dialect: str
    text: str | None
    """The canonical text of ``explain``/``show``/``describe``; ``None`` for queries (generated from ``tree``)."""
    kind: str
    """``query`` (SELECT/set operation/WITH/VALUES: row cap applies), ``explain``, ``show`` or ``describe``."""
    tree: exp.Expr | None = None
    """The parsed query (for ``explain``: the explained query); ``None`` for ``show``/``describe`` of a table."""

    @cached_property
    def sql(self) -> str:
        """The canonical SQL, generated by sqlglot on first use (validation itself does not need it)."""
        if self.text is not None or self.tree is None:
            return self.text or ""
        return generate(self.tree, self.dialect)


def validate(
    sql: str, dialect: str, database: str | None = None, *, schemas: Collection[str] | None = None
) -> ValidatedStatement:
    """Accept exactly one read-only statement or raise ``UnsafeQueryError`` (``detail['code']`` says why).

    ``database`` is the connection's own database: a table qualified with any other one is refused. ``schemas``
    (PostgreSQL) are the schemas the connection may read: a table qualified with another one is refused. Either
    way information_schema views are filtered to them (``confine``).
    """
    if dialect not in DIALECTS:
        raise InvalidInputError(f"Dialeto SQL desconhecido: {dialect!r}.", detail={"dialect": dialect})
    text = (sql or "").strip()
    if not text:
        raise InvalidInputError("A consulta SQL está vazia. Envie uma consulta SELECT.", detail={"code": "empty"})
    if len(text) > MAX_SQL_CHARS:
        raise InvalidInputError(
            f"A consulta é longa demais (máximo de {MAX_SQL_CHARS} caracteres).", detail={"code": "too_long"}
        )
    try:
        return _validate(text, dialect, nested=False, scope=_Scope(database, schemas))
    except (TokenCheckError, Refusal) as error:
        raise _reject(error.code, dialect, **error.detail) from None
    except RecursionError:  # sqlglot parses and generates recursively: ~50 nested parentheses, CASEs, NOTs...
        raise _reject("too_complex", dialect, limit=MAX_TOKENS) from None


_OPENING = frozenset({TokenType.L_PAREN, TokenType.CASE, TokenType.L_BRACKET, TokenType.L_BRACE})
_CLOSING = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE})
_BRACKETS = frozenset({TokenType.L_BRACKET, TokenType.L_BRACE})


@cache
def _type_tokens(dialect: str) -> frozenset[TokenType]:
    """The tokens ``dialect``'s parser may read as a data type (it then tries ``(``/``[`` after them twice)."""
    return frozenset(dialect_instance(dialect).parser_class.TYPE_TOKENS)


def _nesting(tokens: list[Token], type_tokens: Collection[TokenType]) -> tuple[int, int]:
    """The deepest nesting of parentheses, brackets and CASE ... END in ``tokens``, and of the brackets and the
    parentheses right after a type name (each parsed twice) alone."""
    deepest = depth = open_cases = reparsed = deepest_reparsed = 0
    opened: list[bool] = []  # per open parenthesis or bracket: is it parsed twice?
    previous: TokenType | None = None
    for token in tokens:
        kind = token.token_type
        if kind in _OPENING:
            depth += 1
            open_cases += kind == TokenType.CASE
            deepest = max(deepest, depth)
            if kind != TokenType.CASE:
                twice = kind in _BRACKETS or previous in type_tokens
                opened.append(twice)
                reparsed += twice
                deepest_reparsed = max(deepest_reparsed, reparsed)
        elif kind in _CLOSING or (kind == TokenType.END and open_cases):
            depth -= 1
            open_cases -= kind == TokenType.END
            if kind != TokenType.END and opened:
                reparsed -= opened.pop()
        previous = kind
    return deepest, deepest_reparsed


@dataclass(frozen=True)
class _Scope:
    database: str | None
    schemas: Collection[str] | None


def _validate(text: str, dialect: str, *, nested: bool, scope: _Scope) -> ValidatedStatement:
    database = scope.database
    all_tokens, tokens = single_statement(text, dialect)
    if len(all_tokens) > MAX_TOKENS:
        raise Refusal("too_complex", limit=MAX_TOKENS)
    nesting, reparsed_nesting = _nesting(all_tokens, _type_tokens(dialect))
    if nesting > MAX_NESTING:
        raise Refusal("too_complex", limit=MAX_TOKENS, nesting=MAX_NESTING)
    if reparsed_nesting > MAX_REPARSED_NESTING:
        raise Refusal("too_complex", limit=MAX_TOKENS, nesting=MAX_REPARSED_NESTING)
    keyword = leading_keyword(tokens)
    if keyword not in READ_KEYWORDS and keyword != "(":
        raise _reject(_keyword_code(keyword), dialect, keyword=keyword)
    if tokens[0].text.upper() in EXPLAIN_KEYWORDS:
        if nested:
            raise _reject("command", dialect, keyword=keyword)
        return _validate_explain(text, tokens[0], dialect, scope)
    if keyword == "SHOW":
        rest = text[tokens[0].end + 1 :]
        words = single_statement(rest, dialect)[1] if rest.strip() else []
        return ValidatedStatement(text, dialect, show_sql(words, dialect, database), "show")
    tree = _parse_one(text, dialect, all_tokens)
    _check_tree(tree, dialect, scope)
    if not isinstance(tree, QUERY_ROOTS):
        raise _reject("command", dialect, keyword=type(tree).__name__.upper())
    visible = visible_schemas(dialect, database, scope.schemas)
    if visible is not None:
        tree = filter_information_schema(tree, visible)
    return ValidatedStatement(text, dialect, None, "query", tree)


def _keyword_code(keyword: str) -> str:
    if keyword in TRANSACTION_KEYWORDS:
        return "transaction_control"
    if keyword in WRITE_KEYWORDS:
        return "write_statement"
    return "command"


def _parse_one(text: str, dialect: str, tokens: list[Token]) -> exp.Expr:
    try:
        trees = [tree for tree in dialect_instance(dialect).parser().parse(tokens, text) if tree is not None]
        trees = [tree for tree in trees if not isinstance(tree, exp.Semicolon)]  # a trailing comment after ';'
    except (SqlglotError, TypeError) as error:  # TypeError: the compiled parser's own type checks ("SELECT #> 1")
        if any(token.token_type == TokenType.INTO for token in tokens):
            raise _reject("select_into", dialect) from None  # e.g. MySQL INTO OUTFILE, which sqlglot cannot parse
        reason = {"error": messages.plain(str(error))} if isinstance(error, SqlglotError) else {}
        raise _reject("parse_error", dialect, **reason) from None
    if len(trees) != 1:
        raise _reject("multiple_statements", dialect, statements=len(trees))
    return trees[0]


def _validate_explain(text: str, head: Token, dialect: str, scope: _Scope) -> ValidatedStatement:
    """``EXPLAIN [options] <query>`` / ``DESCRIBE <query>`` / ``DESCRIBE <table> [column]`` (MySQL)."""
    rest = text[head.end + 1 :]
    tokens = single_statement(rest, dialect)[1] if rest.strip() else []
    index, depth = 0, 0
    while index < len(tokens):
        word = tokens[index].text.upper()
        if word in ("ANALYZE", "ANALYSE"):
            raise _reject("explain_analyze", dialect)
        starts_query = word in QUERY_START and not (word == "(" and _is_option_list(tokens, index))
        if depth == 0 and starts_query:
            break
        if word not in EXPLAIN_OPTION_WORDS:
            break
        depth += {"(": 1, ")": -1}.get(word, 0)
        index += 1
    remainder = tokens[index:]
    options = " ".join(token.text for token in tokens[:index])
    if remainder and remainder[0].text.upper() in QUERY_START:
        inner = _validate(rest[remainder[0].start :], dialect, nested=True, scope=scope)
        if inner.kind != "query":
            raise _reject("command", dialect, keyword=head.text.upper())
        sql = " ".join(part for part in (head.text.upper(), options, inner.sql) if part)
        return ValidatedStatement(text, dialect, sql, "explain", inner.tree)
    if remainder and _keyword_code(remainder[0].text.upper()) != "command":
        raise _reject(_keyword_code(remainder[0].text.upper()), dialect, keyword=remainder[0].text.upper())
    if not options and remainder:
        sql = describe_sql(head.text.upper(), remainder, dialect, scope.database)
        return ValidatedStatement(text, dialect, sql, "describe")
    raise _reject("parse_error", dialect, error=f"unsupported {head.text.upper()} form")


def _is_option_list(tokens: list[Token], index: int) -> bool:
    """``(`` right after EXPLAIN opens an option list unless a query starts inside it."""
    following = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
    return index == 0 and following not in QUERY_START


def _check_tree(tree: exp.Expr, dialect: str, scope: _Scope) -> None:
    for node in tree.walk():
        if isinstance(node, _CHECKED):
            _check_statement_node(node, dialect)
        check_node(node, dialect, scope.database, scope.schemas)  # node kinds, functions, catalogs by allowlist


def _check_statement_node(node: exp.Expr, dialect: str) -> None:
    if isinstance(node, TRANSACTION_NODES):
        raise _reject("transaction_control", dialect, keyword=_label(node))
    if isinstance(node, WRITE_NODES):
        in_cte = node.find_ancestor(exp.CTE) is not None
        raise _reject("write_in_cte" if in_cte else "write_statement", dialect, keyword=_label(node))
    if isinstance(node, COMMAND_NODES):
        raise _reject("command", dialect, keyword=_label(node))
    if isinstance(node, exp.Into):
        raise _reject("select_into", dialect)
    if isinstance(node, exp.Lock):
        raise _reject("locking_clause", dialect)
    if isinstance(node, exp.CTE) and not isinstance(node.this, QUERY_ROOTS):
        raise _reject("write_in_cte", dialect, keyword=_label(node.this))
    if dialect == "oracle" and isinstance(node, exp.Column) and node.table:
        names = _qualified(node.parts)  # Oracle calls pkg.func / seq.NEXTVAL without parens
        entry = find_denied(names, dialect)
        if entry is not None:
            raise _reject("denied_function", dialect, function=max(names, key=len), reason=entry.reason)


def _label(node: exp.Expr) -> str:
    labels = {"TruncateTable": "TRUNCATE", "EndStatement": "END", "LoadData": "LOAD DATA", "Returning": "RETURNING"}
    name = type(node).__name__
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return labels.get(name, name.upper())


def _qualified(parts: Sequence[exp.Expr] | Sequence[str]) -> tuple[str, ...]:
    """Every dotted suffix of a qualified name: a.b.f -> (a.b.f, b.f, f), lower-cased."""
    names = [part.name.lower() if isinstance(part, exp.Expr) else part for part in parts]
    return tuple(".".join(names[i:]) for i in range(len(names)))


def _reject(code: str, dialect: str, **detail: object) -> UnsafeQueryError:
    message = messages.rejection(code, dialect, detail)
    return UnsafeQueryError(message, detail={"code": code, "dialect": dialect, **detail})


__all__ = ["DIALECTS", "ValidatedStatement", "tokenize", "validate"]
