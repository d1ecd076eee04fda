"""Cheap per-dialect row counts and sample values of low-cardinality text columns.

Every statement is built with SQLAlchemy Core (identifiers quoted by the dialect, no string
formatting of names) and is bounded by a LIMIT; the caller runs them in a read-only transaction.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.schema_inspect.models import TableInfo

EXACT_COUNT_BELOW = 10_000  # estimates under this are replaced by count(*) (cheap, and exact)
EXACT_COUNT_MAX_BYTES = 64 * 1024 * 1024  # never count(*) a relation bigger than this
COUNT_CAP = 100_000  # SQLite/others without statistics: count at most this many rows
SAMPLE_ROWS = 5000  # rows looked at per column to find low-cardinality text columns
SMALL_TABLE_ROWS = 1000  # tables this small are sampled with one SELECT of all their text columns
SAMPLE_MAX_DISTINCT = 30  # more distinct values than this in the sample = not low-cardinality
SAMPLE_SHOWN = 5
SAMPLE_MAX_LEN = 60  # a longer value means free text: no samples for that column
SAMPLE_MAX_COLUMNS = 25  # text columns sampled per table
SAMPLE_MAX_TABLES = 500
SAMPLE_TIME_BUDGET_S = 2.0  # stop sampling (not counting) after this much time per inspection


_LIMIT_DIALECTS = frozenset({"sqlite", "postgresql", "mysql", "mariadb"})

log = logging.getLogger(__name__)


def savepoint(conn: Connection) -> contextlib.AbstractContextManager[Any]:
    """A savepoint around one statement, so that its failure does not abort the inspection's transaction
    (PostgreSQL aborts the whole transaction on any error; SQLite's driver needs no savepoint)."""
    return conn.begin_nested() if conn.dialect.name != "sqlite" else contextlib.nullcontext()


@contextlib.contextmanager
def _one_table(conn: Connection, info: TableInfo, what: str) -> Iterator[None]:
    """A statement about one table that the database refuses for its own reasons — a row-level-security policy
    that errors for this login, a column type it cannot group — costs that table its row count or samples, not
    the whole inspection. Timeouts and lost connections (OperationalError) still fail it."""
    try:
        with savepoint(conn):
            yield
    except sa.exc.DBAPIError as error:
        if isinstance(error, sa.exc.OperationalError):
            raise
        log.warning("schema inspection: %s of %s skipped: %s", what, info.name, type(error.orig).__name__)


def _table(info: TableInfo, column_names: Sequence[str] = ()) -> sa.TableClause:
    return sa.table(info.name, *(sa.column(c) for c in column_names), schema=info.schema_)


def _fast_sql(conn: Connection, info: TableInfo, columns: Sequence[str] = ()) -> bool:
    """True when the statement may be written as text with dialect-quoted identifiers.

    Compiling a Core select costs ~1 ms and is never reused across tables (the name is part of the cache key);
    for hundreds of tables that dominates the inspection time. Identifiers are quoted by the dialect's own
    ``IdentifierPreparer``; names with ``:`` or ``%`` (bind/format markers) take the Core path.
    """
    if conn.dialect.name not in _LIMIT_DIALECTS:
        return False
    names = [info.name, info.schema_ or "", *columns]
    return not any(":" in n or "%" in n for n in names)


def _quoted_table(conn: Connection, info: TableInfo) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return f"{quote(info.schema_)}.{quote(info.name)}" if info.schema_ else quote(info.name)


def _capped_count(conn: Connection, info: TableInfo, cap: int) -> int:
    if _fast_sql(conn, info):
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {_quoted_table(conn, info)} LIMIT {int(cap)}) AS capped"
        return int(conn.execute(sa.text(sql)).scalar_one())
    inner = sa.select(sa.literal(1)).select_from(_table(info)).limit(cap).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())


def _estimates_postgres(conn: Connection, schema: str | None) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, c.reltuples::pg_catalog.int8, pg_catalog.pg_total_relation_size(c.oid) "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
            "WHERE n.nspname OPERATOR(pg_catalog.=) coalesce(:schema, pg_catalog.current_schema()) "
            "AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m}'::pg_catalog.\"char\"[])"
        ),
        {"schema": schema},
    )
    return {name: (int(est), int(size or 0)) for name, est, size in rows}


def _estimates_mysql(conn: Connection, schema: str | None) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        sa.text(
            "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = coalesce(:schema, DATABASE())"
        ),
        {"schema": schema},
    )
    return {name: (int(est if est is not None else -1), int(size or 0)) for name, est, size in rows}


def _estimates_sqlite(conn: Connection, schema: str | None) -> dict[str, tuple[int, int]]:
    stat1 = sa.table("sqlite_stat1", sa.column("tbl"), sa.column("stat"), schema=schema)
    master = sa.table("sqlite_master", sa.column("name"), sa.column("type"), schema=schema)
    exists = conn.execute(
        sa.select(sa.func.count()).select_from(master).where(master.c.name == "sqlite_stat1")
    ).scalar_one()
    if not exists:
        return {}
    estimates: dict[str, tuple[int, int]] = {}
    for tbl, stat in conn.execute(sa.select(stat1.c.tbl, stat1.c.stat)):
        head = str(stat or "").split(" ", 1)[0]
        if head.isdigit():
            estimates[tbl] = (max(int(head), estimates.get(tbl, (0, 0))[0]), 0)
    return estimates


def fill_row_counts(conn: Connection, tables: Sequence[TableInfo], schema: str | None) -> None:
    """Set ``row_count`` on every base table (views stay ``None``)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        estimates = _estimates_postgres(conn, schema)
    elif dialect in ("mysql", "mariadb"):
        estimates = _estimates_mysql(conn, schema)
    elif dialect == "sqlite":
        estimates = _estimates_sqlite(conn, schema)
    else:
        estimates = {}
    for info in tables:
        if info.kind != "table":
            continue
        estimate, size = estimates.get(info.name, (-1, 0))
        if dialect in ("postgresql", "mysql", "mariadb"):
            if estimate < EXACT_COUNT_BELOW and size <= EXACT_COUNT_MAX_BYTES:
                info.row_count = estimate if estimate >= 0 else None
                with _one_table(conn, info, "row count"):
                    info.row_count = _capped_count(conn, info, COUNT_CAP)
            else:
                info.row_count = estimate if estimate >= 0 else None
        elif estimate >= 0:
            info.row_count = estimate
        else:
            with _one_table(conn, info, "row count"):
                info.row_count = _capped_count(conn, info, COUNT_CAP)


def _is_text(type_: sa.types.TypeEngine) -> bool:
    return isinstance(type_, sa.String)  # includes Text, Enum, VARCHAR, CHAR


def _value_counts(conn: Connection, info: TableInfo, name: str) -> list[tuple[object, int]]:
    """Most frequent values of one column among its first SAMPLE_ROWS rows (at most SAMPLE_MAX_DISTINCT + 1)."""
    inner = sa.select(sa.column(name)).select_from(_table(info, [name])).limit(SAMPLE_ROWS).subquery()
    value = inner.c[name]
    n = sa.func.count().label("n")
    stmt = sa.select(value, n).group_by(value).order_by(sa.desc(n), value).limit(SAMPLE_MAX_DISTINCT + 1)
    return [(row[0], int(row[1])) for row in conn.execute(stmt)]


def _small_table_counts(conn: Connection, info: TableInfo, names: list[str]) -> dict[str, list[tuple[object, int]]]:
    """Like ``_value_counts`` for every column at once: one SELECT of a small table, counted here."""
    if _fast_sql(conn, info, names):
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(n) for n in names)
        sql = f"SELECT {columns} FROM {_quoted_table(conn, info)} LIMIT {int(SMALL_TABLE_ROWS)}"
        rows = conn.execute(sa.text(sql)).all()
    else:
        table = _table(info, names)
        rows = conn.execute(sa.select(*(table.c[n] for n in names)).limit(SMALL_TABLE_ROWS)).all()
    result: dict[str, list[tuple[object, int]]] = {}
    for position, name in enumerate(names):
        counts = Counter(row[position] for row in rows)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], "" if item[0] is None else str(item[0])))
        result[name] = ranked[: SAMPLE_MAX_DISTINCT + 1]
    return result


def fill_samples(conn: Connection, tables: Sequence[TableInfo], text_columns: dict[str, list[str]]) -> None:
    """Set ``samples`` on low-cardinality text columns.

    Small tables: one SELECT of their text columns; bigger ones: one GROUP BY per column over SAMPLE_ROWS rows.

    ``text_columns`` maps a table name to its text-typed column names (from reflection). The whole pass stops
    after SAMPLE_TIME_BUDGET_S seconds or SAMPLE_MAX_TABLES tables, so huge schemas stay cheap.
    """
    deadline = time.monotonic() + SAMPLE_TIME_BUDGET_S
    sampled = 0
    for info in tables:
        names = text_columns.get(info.name, [])[:SAMPLE_MAX_COLUMNS]
        if info.kind != "table" or not names or info.row_count == 0:
            continue
        if sampled >= SAMPLE_MAX_TABLES or time.monotonic() > deadline:
            break
        sampled += 1
        with _one_table(conn, info, "samples"):
            _fill_table_samples(conn, info, names)


def _fill_table_samples(conn: Connection, info: TableInfo, names: list[str]) -> None:
    by_name = {c.name: c for c in info.columns}
    small = info.row_count is not None and info.row_count <= SMALL_TABLE_ROWS
    all_counts = _small_table_counts(conn, info, names) if small else {}
    for name in names:
        counts = all_counts[name] if small else _value_counts(conn, info, name)
        rows = sum(n for _, n in counts)
        values = [(str(v), n) for v, n in counts if v is not None and str(v).strip()]
        if not values or len(counts) > SAMPLE_MAX_DISTINCT or not _low_cardinality(len(values), rows):
            continue
        if any(len(v) > SAMPLE_MAX_LEN or "\n" in v for v, _ in values):
            continue
        if len(values) > SAMPLE_SHOWN and sum(_code_like(v) for v, _ in values) * 2 >= len(values):
            continue  # CNPJs, phone numbers, SKUs: unique codes, no help for writing WHERE clauses
        column = by_name[name]
        column.samples = [v for v, _ in values[:SAMPLE_SHOWN]]
        column.more_values = len(values) > SAMPLE_SHOWN


def _code_like(value: str) -> bool:
    alnum = [ch for ch in value if ch.isalnum()]
    return bool(alnum) and sum(ch.isdigit() for ch in alnum) * 2 >= len(alnum)


def _low_cardinality(distinct: int, rows: int) -> bool:
    if distinct > SAMPLE_MAX_DISTINCT:
        return False
    return rows <= SAMPLE_MAX_DISTINCT or distinct <= rows / 3


def text_column_names(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the reflected columns whose type is textual."""
    return [c["name"] for c in columns if _is_text(c["type"])]
