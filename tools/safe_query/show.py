"""``SHOW`` and ``DESCRIBE`` in a few fixed forms, regenerated from their parts (the user's text never runs).

Names are re-quoted and strings re-escaped by sqlglot for the dialect, so a quoting or escaping trick in the input
cannot reach the server. Accepted forms:

- PostgreSQL: ``SHOW <setting>`` for the public settings of ``settings.PG_READABLE_SETTINGS``.
- MySQL/MariaDB: ``SHOW [FULL] TABLES [LIKE 'p']``, ``SHOW TABLE STATUS [LIKE 'p']``,
  ``SHOW [FULL] COLUMNS|FIELDS FROM <table> [LIKE 'p']``, ``SHOW INDEX|INDEXES|KEYS FROM <table>``,
  ``SHOW CREATE TABLE|VIEW <table>``, ``SHOW WARNINGS``.
- Every dialect: ``DESCRIBE|DESC <table> [<column>]``.

A qualified ``db.table`` must name the connection's own database.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from tools.safe_query.allowcheck import Refusal
from tools.safe_query.dialects import generate
from tools.safe_query.settings import PG_READABLE_SETTINGS

_NAME = (TokenType.VAR, TokenType.IDENTIFIER)
_QUOTED = (TokenType.STRING, TokenType.IDENTIFIER)
_PG_ALIASES = {"time zone": "timezone", "transaction isolation level": "transaction_isolation"}


def _unsupported(what: str) -> Refusal:
    return Refusal("parse_error", error=f"unsupported {what} form")


class _Reader:
    def __init__(self, tokens: list[Token], dialect: str, database: str | None) -> None:
        self.tokens, self.dialect, self.database, self.index = tokens, dialect, database, 0

    def word(self, *choices: str) -> str | None:
        """Consume the next token when its text is one of ``choices`` (upper-case), else None."""
        if self.index < len(self.tokens) and self.tokens[self.index].token_type not in _QUOTED:
            text = self.tokens[self.index].text.upper()
            if text in choices:
                self.index += 1
                return text
        return None

    def table(self) -> str:
        parts: list[str] = []
        while self.index < len(self.tokens) and _is_name(self.tokens[self.index]):
            parts.append(self.tokens[self.index].text)
            self.index += 1
            if self.index < len(self.tokens) and self.tokens[self.index].token_type == TokenType.DOT:
                self.index += 1
                continue
            break
        if not 1 <= len(parts) <= 2:
            raise _unsupported("SHOW/DESCRIBE")
        if len(parts) == 2 and (self.database is None or parts[0].lower() != self.database.lower()):
            raise Refusal("catalog_not_allowed", table=".".join(parts), reason="outro banco de dados")
        return ".".join(_quote(part, self.dialect) for part in parts)

    def like(self) -> str:
        if self.word("LIKE") is None:
            return ""
        if self.index >= len(self.tokens) or self.tokens[self.index].token_type != TokenType.STRING:
            raise _unsupported("SHOW ... LIKE")
        pattern = self.tokens[self.index].text
        self.index += 1
        return " LIKE " + generate(exp.Literal.string(pattern), self.dialect)

    def done(self) -> bool:
        return self.index == len(self.tokens)


def _is_name(token: Token) -> bool:
    return token.token_type in _NAME or (token.token_type != TokenType.STRING and token.text.isidentifier())


def _quote(name: str, dialect: str) -> str:
    return generate(exp.to_identifier(name, quoted=True), dialect)


def show_sql(tokens: list[Token], dialect: str, database: str | None) -> str:
    """The regenerated ``SHOW`` for the tokens after ``SHOW``; ``Refusal`` for any other form."""
    if dialect == "postgres":
        if not tokens or not all(_is_name(token) for token in tokens):
            raise _unsupported("SHOW")
        setting = " ".join(token.text.lower() for token in tokens)
        setting = _PG_ALIASES.get(setting, setting)
        if setting not in PG_READABLE_SETTINGS:
            raise Refusal("command", keyword=f"SHOW {setting.upper() or ''}".strip())
        return f"SHOW {setting}"
    if dialect != "mysql":
        raise _unsupported("SHOW")
    read = _Reader(tokens, dialect, database)
    full = "FULL " if read.word("FULL") else ""
    if read.word("TABLES"):
        sql = f"SHOW {full}TABLES{read.like()}"
    elif not full and read.word("TABLE") and read.word("STATUS"):
        sql = f"SHOW TABLE STATUS{read.like()}"
    elif read.word("COLUMNS", "FIELDS") and read.word("FROM", "IN"):
        sql = f"SHOW {full}COLUMNS FROM {read.table()}{read.like()}"
    elif not full and read.word("INDEX", "INDEXES", "KEYS") and read.word("FROM", "IN"):
        sql = f"SHOW INDEX FROM {read.table()}"
    elif not full and read.word("CREATE") and (kind := read.word("TABLE", "VIEW")):
        sql = f"SHOW CREATE {kind} {read.table()}"
    elif not full and read.word("WARNINGS"):
        sql = "SHOW WARNINGS"
    else:
        raise _unsupported("SHOW")
    if not read.done():
        raise _unsupported("SHOW")
    return sql


def describe_sql(head: str, tokens: list[Token], dialect: str, database: str | None) -> str:
    """``DESCRIBE <table> [<column>]`` regenerated; ``Refusal`` for any other form."""
    read = _Reader(tokens, dialect, database)
    table = read.table()
    column = ""
    if not read.done() and _is_name(tokens[read.index]):
        column = " " + _quote(tokens[read.index].text, dialect)
        read.index += 1
    if not read.done():
        raise _unsupported(head)
    return f"{head} {table}{column}"
