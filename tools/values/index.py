"""Build a value index: the distinct text values of a connection's columns, read with bounded read-only queries.

Low/medium-cardinality text columns contribute all their distinct values (up to ``ValueIndexLimits.per_column``);
high-cardinality ones a capped sample of the values in their first ``scan_rows`` rows. Columns a
``ColumnFilter`` denies (masked or forbidden by the connection's policy) are never read. The whole build stops
at ``max_values`` values or ``time_budget_s`` seconds, whichever comes first; what was read so far is kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.context import ColumnFilter, ValueIndexLimits
from tools.schema_inspect.models import ColumnInfo, TableInfo
from tools.schema_inspect.text import fold

_TEXT_TYPE = re.compile(r"CHAR|TEXT|STRING|CLOB|ENUM|NAME|CITEXT", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class IndexedValue:
    table: str
    column: str
    value: str
    folded: str
    """Lower-case, accent-free, single-spaced words of ``value`` (what matching compares)."""
    complete: bool
    """True when the column's distinct values are all in the index (not a capped sample)."""


@dataclass
class ValueIndex:
    """The values of one connection, with lookups by folded value and by folded word."""

    values: list[IndexedValue] = field(default_factory=list)
    columns_indexed: int = 0
    columns_sampled: int = 0
    columns_skipped: int = 0
    truncated: bool = False
    """The build stopped early (time or size budget); some columns are missing."""
    build_ms: float = 0.0
    error: str | None = None
    """Exception class name when a query failed and the build stopped there."""
    by_folded: dict[str, list[int]] = field(default_factory=dict)
    by_word: dict[str, list[int]] = field(default_factory=dict)
    by_prefix: dict[str, list[str]] = field(default_factory=dict)
    """First 6 letters -> indexed words (for matching other inflections of a word)."""
    fuzzy_neighbours: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict, repr=False)
    """Question word -> indexed words similar to it (``tools.values.match``): a fuzzy search of the whole
    vocabulary costs ~0.2 ms a word, and questions reuse their words. Emptied by ``add``."""

    def add(self, table: str, column: str, value: str, complete: bool) -> None:
        folded = " ".join(_WORD.findall(fold(value)))
        if not folded:
            return
        if self.fuzzy_neighbours:
            self.fuzzy_neighbours.clear()
        position = len(self.values)
        self.values.append(IndexedValue(table, column, value, folded, complete))
        self.by_folded.setdefault(folded, []).append(position)
        for word in dict.fromkeys(folded.split()):
            positions = self.by_word.setdefault(word, [])
            if not positions and len(word) >= 6:
                self.by_prefix.setdefault(word[:6], []).append(word)
            positions.append(position)

    def __len__(self) -> int:
        return len(self.values)


def is_text_column(column: ColumnInfo) -> bool:
    return bool(_TEXT_TYPE.search(column.type or ""))


def _quoted(conn: Connection, table: TableInfo, column: str) -> tuple[str, str]:
    quote = conn.dialect.identifier_preparer.quote
    name = f"{quote(table.schema_)}.{quote(table.name)}" if table.schema_ else quote(table.name)
    return name, quote(column)


def _distinct_values(conn: Connection, table: TableInfo, column: str, limits: ValueIndexLimits) -> list[object]:
    """Distinct non-null values of ``column`` among the table's first ``scan_rows`` rows, at most per_column + 1."""
    source = sa.table(table.name, sa.column(column), schema=table.schema_)
    scanned = sa.select(source.c[column].label("v")).where(source.c[column].is_not(None)).limit(limits.scan_rows)
    inner = scanned.subquery("scanned")
    stmt = sa.select(inner.c.v).distinct().limit(limits.per_column + 1)
    return [row[0] for row in conn.execute(stmt)]


def build_index(
    conn: Connection,
    connection_name: str,
    tables: Sequence[TableInfo],
    limits: ValueIndexLimits,
    column_filter: ColumnFilter | None = None,
) -> ValueIndex:
    """Read the text values of ``tables`` through ``conn`` (the caller opens it read-only and rolls back)."""
    start = time.monotonic()
    deadline = start + limits.time_budget_s
    index = ValueIndex()
    for table in tables:
        if table.row_count == 0 or index.error:
            continue
        for column in table.columns:
            if not is_text_column(column):
                continue
            if column_filter is not None and not column_filter(connection_name, table.name, column.name):
                index.columns_skipped += 1
                continue
            if time.monotonic() > deadline or len(index) >= limits.max_values:
                index.truncated = True
                index.build_ms = (time.monotonic() - start) * 1000
                return index
            try:
                found = _distinct_values(conn, table, column.name, limits)
            except sa.exc.SQLAlchemyError as error:
                # A statement timeout, a broken view: PostgreSQL aborts the whole (read-only) transaction, so stop
                # here and keep what was read rather than reopen a transaction per column.
                index.truncated = True
                index.error = type(error).__name__
                break
            texts = [str(v) for v in found if isinstance(v, str) and 0 < len(v.strip()) <= limits.max_length]
            complete = len(found) <= limits.per_column
            if not complete:
                texts = texts[: limits.sample_high_cardinality]
                index.columns_sampled += 1
            index.columns_indexed += 1
            for text in texts:
                index.add(table.name, column.name, text.strip(), complete)
    index.build_ms = (time.monotonic() - start) * 1000
    return index
