"""Per-connection policy: row cap, timeout, allowed/denied tables and columns (globs), masked columns, samples.

Declared in the config file (``[connections.NAME.policy]``) and enforced in ``tools/`` so every surface obeys it.
Patterns are case-insensitive globs. A table pattern matches ``table`` or ``schema.table``. A column pattern is
``column`` (any table), ``table.column`` or ``schema.table.column``; ``*.email`` = a column ``email`` anywhere.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

MASK = "•••"
"""What a masked value is replaced with, in results and sample values."""


def _match(patterns: list[str], candidates: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def _lower(values: list[str]) -> list[str]:
    return [v.strip().lower() for v in values if v.strip()]


class ConnectionPolicy(BaseModel):
    """What tools may read from one connection (always read-only on top of this)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_rows: int | None = Field(None, ge=1, description="Row cap for this connection (never above the global cap).")
    timeout_s: float | None = Field(None, gt=0, description="Statement timeout for this connection, in seconds.")
    allowed_tables: list[str] = Field(default_factory=list, description="Only these tables (globs); empty = all.")
    denied_tables: list[str] = Field(default_factory=list, description="Never these tables (globs).")
    denied_columns: list[str] = Field(default_factory=list, description="Never these columns (globs).")
    masked_columns: list[str] = Field(
        default_factory=list, description="Readable only as a listed column, with every value replaced by •••."
    )
    samples: bool = Field(
        True,
        description="Whether values the model did not query for may reach it: sample values of text columns, values "
        "the question names (value index), string literals of remembered example SQL.",
    )
    model_rows: int | None = Field(
        None,
        ge=0,
        description="Rows of each query result sent to the model (0 = none: only columns and counts); users still "
        "see up to max_rows. Default: the tool's window (20, at most 200 when the model asks).",
    )
    schemas: list[str] = Field(
        default_factory=list,
        description=(
            "PostgreSQL schemas queries may read (tables elsewhere are refused, information_schema is filtered to "
            "them); empty = the schemas on the login's search_path."
        ),
    )

    @cached_property
    def _patterns(self) -> tuple[list[str], list[str], list[str], list[str]]:
        return (
            _lower(self.allowed_tables),
            _lower(self.denied_tables),
            _lower(self.denied_columns),
            _lower(self.masked_columns),
        )

    @property
    def restricts_names(self) -> bool:
        """True when some table or column is hidden or masked (catalog queries are then refused)."""
        return any(self._patterns)

    def table_allowed(self, table: str, schema: str | None = None) -> bool:
        allowed, denied, _, _ = self._patterns
        names = [table.lower()] + ([f"{schema.lower()}.{table.lower()}"] if schema else [])
        if allowed and not _match(allowed, names):
            return False
        return not _match(denied, names)

    def _column_names(self, table: str, column: str, schema: str | None) -> list[str]:
        table, column = table.lower(), column.lower()
        names = [column, f"{table}.{column}"]
        return names + ([f"{schema.lower()}.{table}.{column}"] if schema else [])

    def column_denied(self, table: str, column: str, schema: str | None = None) -> bool:
        return _match(self._patterns[2], self._column_names(table, column, schema))

    def column_masked(self, table: str, column: str, schema: str | None = None) -> bool:
        return _match(self._patterns[3], self._column_names(table, column, schema))

    def name_is_protected(self, column: str) -> bool:
        """A column of unknown table whose bare name some denied or masked pattern could mean."""
        name = column.lower()
        patterns = [p.rsplit(".", 1)[-1] for p in self._patterns[2] + self._patterns[3]]
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    def column_visible(self, table: str, column: str, schema: str | None = None) -> bool:
        """May the column's values be indexed or sampled (neither denied nor masked, table allowed)?"""
        return (
            self.table_allowed(table, schema)
            and not self.column_denied(table, column, schema)
            and not self.column_masked(table, column, schema)
        )


def model_rows_cap(policy: ConnectionPolicy, ceiling: int) -> int:
    """Rows of one result a model may read: the policy's ``model_rows``, never above ``ceiling``."""
    return ceiling if policy.model_rows is None else min(policy.model_rows, ceiling)


OPEN = ConnectionPolicy()
"""No restriction beyond the global limits (connections without a declared policy)."""


def policy_for(policies: Mapping[str, ConnectionPolicy], connection_name: str) -> ConnectionPolicy:
    """The policy of a connection (``OPEN`` when none is declared)."""
    return policies.get(connection_name, OPEN)
