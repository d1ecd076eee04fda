"""``MemoryStore``: verified question->SQL examples and glossary terms per connection, in the app database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tools.errors import InvalidInputError
from tools.memory.models import glossary_terms, metadata, verified_examples
from tools.memory.skeleton import sql_skeleton
from tools.schema_inspect.text import fold
from vozbd_core.autocommit import single_statement_engine

SOURCES = ("ui", "cli", "suite", "api")
MAX_QUESTION = 2000
MAX_SQL = 20_000
MAX_TERM = 200
MAX_DEFINITION = 2000
_WORD = re.compile(r"[a-z0-9]+")


def text_key(text: str) -> str:
    """Folded, single-spaced words: two questions that differ only in case, accents or punctuation are equal."""
    return " ".join(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Example:
    id: int
    connection: str
    question: str
    sql: str
    skeleton: str
    source: str
    created_at: datetime


@dataclass(frozen=True)
class GlossaryTerm:
    id: int
    connection: str
    term: str
    definition: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _required(value: str, what: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInputError(f"{what} está vazio(a).", detail={"field": what})
    if len(text) > limit:
        raise InvalidInputError(f"{what} é longo(a) demais (máximo {limit} caracteres).", detail={"field": what})
    return text


class MemoryStore:
    """Reads and writes ``verified_examples`` and ``glossary_terms`` (thread-safe: one engine, short sessions)."""

    def __init__(self, engine: Engine, *, create_tables: bool = True) -> None:
        self.engine = engine
        self._reads = single_statement_engine(engine)  # the prompt's one-statement read, without BEGIN/ROLLBACK
        if create_tables:
            self.ensure_tables()

    def ensure_tables(self) -> None:
        """Create the memory tables when missing (the app's migrations normally did it already)."""
        metadata.create_all(self.engine, checkfirst=True)

    # --- verified examples ----------------------------------------------------------------
    def add_example(
        self, connection: str, question: str, sql: str, *, source: str = "cli", dialect: str | None = None
    ) -> Example:
        """Store (or replace, for the same connection and question) a verified pair.

        With ``dialect`` the SQL must pass the safe-query validator first: only read-only SQL is remembered,
        because remembered SQL is shown to the model as an example. Raises ``InvalidInputError`` /
        ``UnsafeQueryError`` (pt-BR)."""
        connection = _required(connection, "A conexão", 255)
        question = _required(question, "A pergunta", MAX_QUESTION)
        sql = _required(sql, "O SQL", MAX_SQL)
        if source not in SOURCES:
            raise InvalidInputError(f"Origem desconhecida: {source!r}.", detail={"source": source})
        if dialect:
            from tools.safe_query.validator import validate

            validate(sql, dialect)
        key = text_key(question)[:512]
        if not key:
            raise InvalidInputError("A pergunta não tem nenhuma palavra.", detail={"field": "question"})
        row: dict[str, Any] = {
            "connection": connection,
            "question": question,
            "question_key": key,
            "sql": sql,
            "skeleton": sql_skeleton(sql, dialect),
            "source": source,
            "created_at": _now(),
        }
        new_id = self._upsert(verified_examples, row, "question_key")
        return Example(id=new_id, **{k: v for k, v in row.items() if k != "question_key"})

    def list_examples(self, connection: str | None = None) -> list[Example]:
        return [_example(r) for r in self._rows(verified_examples, connection, verified_examples.c.id)]

    def remove_example(self, example_id: int) -> bool:
        with self.engine.begin() as db:
            result = db.execute(sa.delete(verified_examples).where(verified_examples.c.id == example_id))
        return bool(result.rowcount)

    # --- glossary -------------------------------------------------------------------------
    def add_term(self, connection: str, term: str, definition: str) -> GlossaryTerm:
        """Store (or replace) what a business term means in this connection."""
        connection = _required(connection, "A conexão", 255)
        term = _required(term, "O termo", MAX_TERM)
        definition = _required(definition, "A definição", MAX_DEFINITION)
        key = text_key(term)
        if not key:
            raise InvalidInputError("O termo não tem nenhuma palavra.", detail={"field": "term"})
        row: dict[str, Any] = {
            "connection": connection,
            "term": term,
            "term_key": key,
            "definition": definition,
            "created_at": _now(),
        }
        new_id = self._upsert(glossary_terms, row, "term_key")
        return GlossaryTerm(new_id, connection, term, definition, row["created_at"])

    def list_terms(self, connection: str | None = None) -> list[GlossaryTerm]:
        return [_term(r) for r in self._rows(glossary_terms, connection, glossary_terms.c.term_key)]

    def remove_term(self, connection: str, term: str) -> bool:
        table = glossary_terms
        where = (table.c.connection == connection) & (table.c.term_key == text_key(term))
        with self.engine.begin() as db:
            result = db.execute(sa.delete(table).where(where))
        return bool(result.rowcount)

    # --- shared queries -------------------------------------------------------------------
    def _upsert(self, table: sa.Table, row: dict[str, Any], key_column: str) -> int:
        """Insert ``row``, or replace the row with the same ``connection`` and ``key_column``; returns its id."""
        where = (table.c.connection == row["connection"]) & (table.c[key_column] == row[key_column])
        with self.engine.begin() as db:
            existing = db.execute(sa.select(table.c.id).where(where)).scalar_one_or_none()
            if existing is None:
                return _inserted_id(db.execute(sa.insert(table).values(**row)))
            db.execute(sa.update(table).where(table.c.id == existing).values(**row))
            return int(existing)

    def for_prompt(self, connection: str) -> tuple[list[GlossaryTerm], list[Example]]:
        """The connection's glossary terms and verified examples, read by one statement (the prompt of every turn
        needs both: one round trip instead of two, on PostgreSQL without BEGIN/ROLLBACK)."""
        terms: list[GlossaryTerm] = []
        examples: list[Example] = []
        with self._reads.connect() as db:
            for r in db.execute(_PROMPT_ROWS, {"connection": connection}):
                if r.kind == "g":
                    terms.append(GlossaryTerm(r.id, r.connection, r.a, r.b, r.created_at))
                else:
                    examples.append(Example(r.id, r.connection, r.a, r.b, r.c, r.d, r.created_at))
        return terms, examples

    def _rows(self, table: sa.Table, connection: str | None, order: sa.Column[Any]) -> list[sa.Row[Any]]:
        """Every row of ``table`` (of one connection when given), by connection then ``order``."""
        with self.engine.connect() as db:
            return list(db.execute(_select(table, connection, order)))


def _select(table: sa.Table, connection: str | None, order: sa.Column[Any]) -> sa.Select[Any]:
    stmt = sa.select(table).order_by(table.c.connection, order)
    return stmt.where(table.c.connection == connection) if connection is not None else stmt


def _prompt_rows() -> sa.Select[Any]:
    """Both tables' rows of one connection (given at execution) in one result: terms (``kind`` "g") by
    ``term_key``, then examples ("x") by id, as ``list_terms`` / ``list_examples`` order them. Built once."""
    g, x = glossary_terms.c, verified_examples.c
    text_null = sa.cast(sa.null(), sa.Text)
    terms = sa.select(
        sa.literal("g").label("kind"), g.id, g.connection, sa.cast(g.term, sa.Text).label("a"),
        g.definition.label("b"), text_null.label("c"), text_null.label("d"), g.created_at,
        sa.cast(g.term_key, sa.Text).label("sort_key"),
    ).where(g.connection == sa.bindparam("connection"))  # fmt: skip
    examples = sa.select(
        sa.literal("x").label("kind"), x.id, x.connection, x.question.label("a"), x.sql.label("b"),
        x.skeleton.label("c"), sa.cast(x.source, sa.Text).label("d"), x.created_at, text_null.label("sort_key"),
    ).where(x.connection == sa.bindparam("connection"))  # fmt: skip
    union = sa.union_all(terms, examples).subquery()
    return sa.select(union).order_by(union.c.kind, union.c.sort_key, union.c.id)


_PROMPT_ROWS = _prompt_rows()


def _term(r: sa.Row[Any]) -> GlossaryTerm:
    return GlossaryTerm(r.id, r.connection, r.term, r.definition, r.created_at)


def _example(r: sa.Row[Any]) -> Example:
    return Example(r.id, r.connection, r.question, r.sql, r.skeleton, r.source, r.created_at)


def record_verified_example(
    store: MemoryStore, connection: str, question: str, sql: str, *, dialect: str | None = None, source: str = "ui"
) -> Example:
    """What the chat's 👍 calls: remember that ``sql`` answers ``question`` on ``connection``."""
    return store.add_example(connection, question, sql, source=source, dialect=dialect)


def _inserted_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # only for executemany/returning-less drivers, never for one INSERT
        raise RuntimeError("the database returned no primary key for the INSERT")
    return int(key[0])
