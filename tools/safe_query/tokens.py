"""Token-level checks that do not trust the parser: separators, versioned comments, the leading keyword.

sqlglot's parser is lenient (unknown statements become ``exp.Command``, some syntax is silently dropped), so
these checks run on the token stream first and again on the SQL we actually execute.
"""

from __future__ import annotations

import re
from functools import cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from tools.safe_query.messages import plain

# MySQL/MariaDB execute the body of /*! ... */ and /*M! ... */ comments: never allowed, in any dialect.
VERSIONED_COMMENT = re.compile(r"/\*\s*M?!")

# PostgreSQL U&"..." / U&'...' spell names with escapes (U&"pg\005fsleep" is pg_sleep): refused outright.
UNICODE_ESCAPE = re.compile(r"\bU&[\"']", re.IGNORECASE)

READ_KEYWORDS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "DESCRIBE", "DESC", "SHOW"})
TRANSACTION_KEYWORDS = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "XA", "TRANSACTION"}
)
WRITE_KEYWORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME",
        "GRANT", "REVOKE", "COPY", "LOAD", "IMPORT", "COMMENT", "REINDEX", "VACUUM", "CLUSTER", "REFRESH", "PURGE",
        "OPTIMIZE", "REPAIR", "SECURITY", "UNLOAD",
    }
)  # fmt: skip


class TokenCheckError(Exception):
    """Raised by the helpers below; the validator turns it into ``UnsafeQueryError``."""

    def __init__(self, code: str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


@cache
def dialect_instance(dialect: str) -> Dialect:
    return Dialect.get_or_raise(dialect)


def tokenize(sql: str, dialect: str) -> list[Token]:
    """sqlglot tokens of ``sql`` (comments are dropped by the tokenizer; strings stay one token)."""
    try:
        return list(dialect_instance(dialect).tokenize(sql))
    except SqlglotError as error:
        raise TokenCheckError("parse_error", "tokenizer error", error=plain(str(error))) from None


def split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Token lists of each statement (split on ``;``), empty statements dropped."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def leading_keyword(tokens: list[Token]) -> str:
    """The first word of a statement, upper-cased, skipping opening parentheses."""
    for token in tokens:
        if token.token_type != TokenType.L_PAREN:
            return token.text.upper()
    return ""


def single_statement(sql: str, dialect: str) -> tuple[list[Token], list[Token]]:
    """(all tokens, tokens of the one statement) of ``sql``.

    Raises ``TokenCheckError`` for versioned comments, an empty text or ``;``-separated statements.
    """
    if VERSIONED_COMMENT.search(sql):
        raise TokenCheckError("versioned_comment", "versioned comment")
    tokens = tokenize(sql, dialect)
    statements = split_statements(tokens)
    if not statements:
        raise TokenCheckError("empty", "no statement")
    if len(statements) > 1:
        raise TokenCheckError("multiple_statements", "several statements", statements=len(statements))
    if dialect == "postgres" and UNICODE_ESCAPE.search(sql):
        message = "U&'...' / U&\"...\" (escapes Unicode) não é aceito"
        raise TokenCheckError("parse_error", "unicode escape", error=message)
    return tokens, statements[0]
