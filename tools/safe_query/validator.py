"""The read-only validator: one statement, read-only from root to leaves, no denied function. Fails closed.

``validate(sql, dialect)`` runs, in order: versioned-comment and ``;`` checks on tokens, a leading-keyword
allow-list, EXPLAIN/SHOW/DESCRIBE handling, a sqlglot parse (exactly one statement), a root allow-list and a walk
over the *whole* tree that rejects write, transaction and session nodes anywhere (CTEs, subqueries, ...),
``SELECT ... INTO``, locking clauses and functions of the deny-list (``denylist.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from tools.errors import InvalidInputError, UnsafeQueryError
from tools.safe_query import messages
from tools.safe_query.denylist import BLOB_LITERAL_MAX, SIZE_LIMITED, DeniedFunction, find_denied
from tools.safe_query.dialects import generate
from tools.safe_query.tokens import (
    READ_KEYWORDS,
    TRANSACTION_KEYWORDS,
    WRITE_KEYWORDS,
    TokenCheckError,
    leading_keyword,
    single_statement,
    tokenize,
)

DIALECTS = ("sqlite", "postgres", "mysql", "oracle", "tsql")
MAX_SQL_CHARS = 100_000


def _classes(*names: str) -> tuple[type[exp.Expression], ...]:
    """The sqlglot expression classes among ``names`` that exist in the installed version."""
    found = (getattr(exp, name, None) for name in names)
    return tuple(c for c in found if isinstance(c, type) and issubclass(c, exp.Expression))


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

EXPLAIN_KEYWORDS = frozenset({"EXPLAIN", "DESCRIBE", "DESC"})
EXPLAIN_OPTION_WORDS = frozenset(
    {
        "QUERY", "PLAN", "VERBOSE", "EXTENDED", "PARTITIONS", "FORMAT", "JSON", "TREE", "TRADITIONAL", "TEXT", "XML",
        "YAML", "COSTS", "BUFFERS", "SETTINGS", "WAL", "TIMING", "SUMMARY", "GENERIC_PLAN", "MEMORY", "SERIALIZE",
        "ON", "OFF", "TRUE", "FALSE", "NONE", "BINARY", "=", ",", "(", ")", "1", "0",
    }
)  # fmt: skip
QUERY_START = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "("})
NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT, TokenType.STRING})


@dataclass(frozen=True)
class ValidatedStatement:
    """A statement that passed every check. ``sql`` is the canonical text we execute (comments removed)."""

    original: str
    dialect: str
    sql: str
    kind: str
    """``query`` (SELECT/set operation/WITH/VALUES: row cap applies), ``explain``, ``show`` or ``describe``."""
    tree: exp.Expression | None = None
    """The parsed query (for ``explain``: the explained query); ``None`` for ``show``/``describe`` of a table."""


def validate(sql: str, dialect: str) -> ValidatedStatement:
    """Accept exactly one read-only statement or raise ``UnsafeQueryError`` (``detail['code']`` says why)."""
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
        return _validate(text, dialect, nested=False)
    except TokenCheckError as error:
        raise _reject(error.code, dialect, **error.detail) from None


def _validate(text: str, dialect: str, *, nested: bool) -> ValidatedStatement:
    tokens = single_statement(text, dialect)
    keyword = leading_keyword(tokens)
    if keyword not in READ_KEYWORDS and keyword != "(":
        raise _reject(_keyword_code(keyword), dialect, keyword=keyword)
    if tokens[0].text.upper() in EXPLAIN_KEYWORDS:
        if nested:
            raise _reject("command", dialect, keyword=keyword)
        return _validate_explain(text, tokens[0], dialect)
    if keyword == "SHOW":
        return _validate_show(text, tokens, dialect)
    tree = _parse_one(text, dialect, tokens)
    _check_tree(tree, dialect)
    if not isinstance(tree, QUERY_ROOTS):
        raise _reject("command", dialect, keyword=type(tree).__name__.upper())
    canonical = generate(tree, dialect)
    return ValidatedStatement(text, dialect, canonical, "query", tree)


def _keyword_code(keyword: str) -> str:
    if keyword in TRANSACTION_KEYWORDS:
        return "transaction_control"
    if keyword in WRITE_KEYWORDS:
        return "write_statement"
    return "command"


def _parse_one(text: str, dialect: str, tokens: list[Token]) -> exp.Expression:
    try:
        trees = [tree for tree in sqlglot.parse(text, read=dialect) if tree is not None]
        trees = [tree for tree in trees if not isinstance(tree, exp.Semicolon)]  # a trailing comment after ';'
    except SqlglotError as error:
        if any(token.token_type == TokenType.INTO for token in tokens):
            raise _reject("select_into", dialect) from None  # e.g. MySQL INTO OUTFILE, which sqlglot cannot parse
        raise _reject("parse_error", dialect, error=messages.plain(str(error))) from None
    if len(trees) != 1:
        raise _reject("multiple_statements", dialect, statements=len(trees))
    return trees[0]


def _validate_explain(text: str, head: Token, dialect: str) -> ValidatedStatement:
    """``EXPLAIN [options] <query>`` / ``DESCRIBE <query>`` / ``DESCRIBE <table> [column]`` (MySQL)."""
    rest = text[head.end + 1 :]
    tokens = single_statement(rest, dialect) if rest.strip() else []
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
        inner = _validate(rest[remainder[0].start :], dialect, nested=True)
        if inner.kind != "query":
            raise _reject("command", dialect, keyword=head.text.upper())
        sql = " ".join(part for part in (head.text.upper(), options, inner.sql) if part)
        return ValidatedStatement(text, dialect, sql, "explain", inner.tree)
    if remainder and _keyword_code(remainder[0].text.upper()) != "command":
        raise _reject(_keyword_code(remainder[0].text.upper()), dialect, keyword=remainder[0].text.upper())
    if not options and remainder and all(token.token_type in NAME_TOKENS for token in remainder):
        sql = f"{head.text.upper()} {_span(rest, remainder)}"
        return ValidatedStatement(text, dialect, sql, "describe")
    raise _reject("parse_error", dialect, error=f"unsupported {head.text.upper()} form")


def _is_option_list(tokens: list[Token], index: int) -> bool:
    """``(`` right after EXPLAIN opens an option list unless a query starts inside it."""
    following = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
    return index == 0 and following not in QUERY_START


def _validate_show(text: str, tokens: list[Token], dialect: str) -> ValidatedStatement:
    """``SHOW <words> [LIKE 'pattern']``: names, keywords and strings only (no calls, no subqueries)."""
    head = tokens[0]
    rest = text[head.end + 1 :]
    words = single_statement(rest, dialect) if rest.strip() else []
    for token in words:
        if token.token_type in (TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMAND, TokenType.SELECT):
            raise _reject("parse_error", dialect, error="unsupported SHOW form")
    sql = f"SHOW {_span(rest, words)}" if words else "SHOW"
    return ValidatedStatement(text, dialect, sql, "show")


def _span(text: str, tokens: list[Token]) -> str:
    """The source text from the first to the last token (token ``end`` is inclusive, quotes included)."""
    return text[tokens[0].start : tokens[-1].end + 1]


def _check_tree(tree: exp.Expression, dialect: str) -> None:
    for node in tree.walk():
        in_cte = node.find_ancestor(exp.CTE) is not None
        if isinstance(node, TRANSACTION_NODES):
            raise _reject("transaction_control", dialect, keyword=_label(node))
        if isinstance(node, WRITE_NODES):
            raise _reject("write_in_cte" if in_cte else "write_statement", dialect, keyword=_label(node))
        if isinstance(node, COMMAND_NODES):
            raise _reject("command", dialect, keyword=_label(node))
        if isinstance(node, exp.Into):
            raise _reject("select_into", dialect)
        if isinstance(node, exp.Lock):
            raise _reject("locking_clause", dialect)
        if isinstance(node, exp.CTE) and not isinstance(node.this, QUERY_ROOTS):
            raise _reject("write_in_cte", dialect, keyword=_label(node.this))
        if isinstance(node, exp.Func):
            _check_function(node, dialect)
        elif dialect == "oracle" and isinstance(node, exp.Column) and node.table:
            _check_names(_qualified(node.parts), dialect)  # Oracle calls pkg.func / seq.NEXTVAL without parens


def _label(node: exp.Expression) -> str:
    labels = {"TruncateTable": "TRUNCATE", "EndStatement": "END", "LoadData": "LOAD DATA", "Returning": "RETURNING"}
    name = type(node).__name__
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return labels.get(name, name.upper())


def _check_function(node: exp.Func, dialect: str) -> None:
    if isinstance(node, exp.Anonymous):
        this = node.this
        bare = {(this.name if isinstance(this, exp.Identifier) else str(this)).lower()}
    else:
        bare = {name.lower() for name in type(node).sql_names()} | {node.key.lower()}
    qualifier: list[str] = []
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        qualifier = [identifier.name.lower() for identifier in parent.this.find_all(exp.Identifier)]
    names: set[str] = set()
    for name in bare:
        names |= set(_qualified([*qualifier, name]))
    entry = _check_names(tuple(names), dialect)
    if entry is not None and not _small_literal(node):  # only size-limited entries come back from _check_names
        limit = f"aceita só um número literal até {BLOB_LITERAL_MAX} bytes"
        raise _reject("denied_function", dialect, function=max(names, key=len), reason=limit)


def _qualified(parts: list[exp.Identifier] | list[str]) -> tuple[str, ...]:
    """Every dotted suffix of a qualified name: a.b.f -> (a.b.f, b.f, f), lower-cased."""
    names = [part.name.lower() if isinstance(part, exp.Expression) else part for part in parts]
    return tuple(".".join(names[i:]) for i in range(len(names)))


def _check_names(names: tuple[str, ...], dialect: str) -> DeniedFunction | None:
    entry = find_denied(names, dialect)
    if entry is None or entry.pattern in SIZE_LIMITED:
        return entry
    raise _reject("denied_function", dialect, function=max(names, key=len), reason=entry.reason)


def _small_literal(node: exp.Func) -> bool:
    args = [arg for arg in node.args.values() if isinstance(arg, exp.Expression)]
    args += [arg for value in node.args.values() if isinstance(value, list) for arg in value]
    if len(args) != 1 or not isinstance(args[0], exp.Literal) or args[0].is_string:
        return False
    try:
        return 0 <= int(args[0].this) <= BLOB_LITERAL_MAX
    except ValueError:
        return False


def _reject(code: str, dialect: str, **detail: object) -> UnsafeQueryError:
    message = messages.rejection(code, dialect, detail)
    return UnsafeQueryError(message, detail={"code": code, "dialect": dialect, **detail})


__all__ = ["DIALECTS", "ValidatedStatement", "tokenize", "validate"]
