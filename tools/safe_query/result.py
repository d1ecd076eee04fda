"""``QueryResult``: JSON-safe rows plus a compact text rendering for LLMs (never the whole result).

Value rules (``json_safe``): ``None``/``bool``/``int``/``str`` unchanged; ``float`` unchanged (NaN/inf -> text);
``Decimal`` -> ``float`` when the float prints back to the same decimal (all money values such as ``1234.56``),
otherwise its exact text (e.g. ``"12345678901234567890.12"``);
``datetime`` -> ``"YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]"``;
``date``/``time`` -> ISO text; ``timedelta`` -> seconds as ``float``; ``UUID`` -> text; ``bytes``/``memoryview`` ->
``"<N bytes>"``; lists/dicts (JSON columns) converted recursively; anything else -> ``str(value)``.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from vozbd_core.text import plural

TEXT_CELL_MAX = 60


def json_safe(value: Any) -> Any:
    """One database value as a JSON-safe Python value (rules in the module docstring)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return str(value)


class ColumnStats(BaseModel):
    column: str
    count: int
    min: float
    max: float
    mean: float


DEFAULT_WINDOW = 20
"""Rows the text shows when the caller did not ask for ``max_rows``."""
MAX_WINDOW = 200
"""Rows the text (and the structured result next to it) shows at most, whatever ``max_rows`` says."""
TEXT_BUDGET = 16_000
"""Characters of table rows the text shows at most (wide rows shorten the window)."""


class QueryResult(BaseModel):
    """The rows of one read-only query (at most the row cap), and the window of them a model is shown."""

    connection: str = Field(description="Connection used (configured name, 'demo' or a URL with the password masked).")
    dialect: str = Field(description="SQL dialect: sqlite, postgres, mysql, oracle or tsql.")
    columns: list[str] = Field(description="Column names, in order.")
    rows: list[list[Any]] = Field(description="Rows returned (the page that starts at `offset`).")
    row_count: int = Field(description="Number of rows in `rows`.")
    truncated: bool = Field(description="True when more rows exist after these.")
    elapsed_ms: float = Field(description="Execution time in the database, in milliseconds.")
    executed_sql: str = Field(description="The SQL exactly as executed (with the row limit applied).")
    offset: int = Field(0, description="Rows skipped before `rows` (paging).")
    total_rows: int | None = Field(
        None, description="How many rows the query has in all; null when it could not be counted in time."
    )
    next_offset: int | None = Field(None, description="Pass as `offset` to get the next rows; null = no more rows.")
    window: int = Field(DEFAULT_WINDOW, description="Rows shown in the text (and in a budgeted structured result).")
    cells_cut: int = Field(0, description="Long text values cut at the cell limit (they end in '[cortado: N').")
    model_rows: int | None = Field(
        None,
        description="Rows of a result a model may read under the connection's policy (null = no such cap); the "
        "text then shows at most these, no stats over the other rows, and no paging.",
    )

    def column_stats(self) -> list[ColumnStats]:
        """min/max/mean of every column whose non-null values are all numbers (booleans excluded)."""
        stats: list[ColumnStats] = []
        for index, name in enumerate(self.columns):
            values = [row[index] for row in self.rows if index < len(row) and row[index] is not None]
            if not values or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                continue
            numbers = [float(v) for v in values]
            stats.append(
                ColumnStats(
                    column=name,
                    count=len(numbers),
                    min=min(numbers),
                    max=max(numbers),
                    mean=round(sum(numbers) / len(numbers), 4),
                )
            )
        return stats

    def _window_lines(self, max_rows: int) -> list[str]:
        """Row lines of the window: at most ``max_rows`` (≤ MAX_WINDOW) rows and TEXT_BUDGET characters."""
        lines: list[str] = []
        used = 0
        ceiling = MAX_WINDOW if self.model_rows is None else min(self.model_rows, MAX_WINDOW)
        for row in self.rows[: max(0, min(max_rows, ceiling))]:
            line = " | ".join(_cell(value) for value in row)
            if lines and used + len(line) + 1 > TEXT_BUDGET:
                break
            lines.append(line)
            used += len(line) + 1
        return lines

    def shown_rows(self, max_rows: int | None = None) -> int:
        """How many of ``rows`` the text shows."""
        return len(self._window_lines(self.window if max_rows is None else max_rows))

    def _next_offset(self, shown: int) -> int | None:
        more = shown < self.row_count or self.truncated
        return self.offset + shown if more and self.model_rows is None else None

    def _count_line(self, shown: int) -> str:
        first, last = self.offset + 1, self.offset + shown
        if self.total_rows is not None:
            total = plural(self.total_rows, "linha")
        elif self.truncated:
            total = f"mais de {self.offset + self.row_count} linhas (contagem indisponível)"
        else:
            total = f"{self.offset + self.row_count} linhas"
        if self.model_rows is not None and shown < self.row_count:
            return (
                f"A consulta trouxe {total}; a política desta conexão deixa o modelo ler só {self.model_rows} "
                f"linha(s) de cada resultado (o usuário vê todas na tela). Agregue (COUNT, SUM, GROUP BY) para "
                "responder sobre o conjunto."
            )
        if shown == 0:
            return f"Nenhuma linha a partir da linha {first}; a consulta tem {total}." if self.offset else ("0 linhas.")
        if self.offset == 0 and shown == self.row_count and not self.truncated:
            return f"{total}."
        text = f"Linhas {first}-{last} de {total}."
        following = self._next_offset(shown)
        if following is not None:
            text += (
                f" Para ver mais, chame run_query de novo com offset={following} (max_rows até {MAX_WINDOW}), "
                "ou agregue (COUNT, SUM, GROUP BY) em vez de listar tudo."
            )
        return text

    def to_text(self, max_rows: int | None = None) -> str:
        """A window of rows (``max_rows``, default ``window``) as a compact table, where it sits in the whole
        result and how to get more, and per-numeric-column stats of the rows fetched (pt-BR)."""
        row_lines = self._window_lines(self.window if max_rows is None else max_rows)
        lines = [" | ".join(_cell(name) for name in self.columns)] if self.columns else []
        lines += row_lines
        count = self._count_line(len(row_lines))
        if self.cells_cut:
            count += f" {self.cells_cut} valor(es) de texto longo(s) foram cortados."
        lines.append(count)
        within_cap = self.model_rows is None or self.row_count <= self.model_rows
        stats = self.column_stats() if self.row_count > 1 and within_cap else []
        if stats:
            parts = [f"{s.column}: mín {_num(s.min)}, máx {_num(s.max)}, média {_num(s.mean)}" for s in stats]
            lines.append("Estatísticas: " + "; ".join(parts) + ".")
        return "\n".join(lines)

    def to_structured(self) -> dict[str, Any]:
        """The structured twin of ``to_text()``: the same window of rows, never more."""
        shown = self.shown_rows()
        window = self.model_copy(
            update={
                "rows": self.rows[:shown],
                "row_count": shown,
                "truncated": shown < self.row_count or self.truncated,
                "next_offset": self._next_offset(shown),
            }
        )
        return window.model_dump(mode="json")


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return _num(value)
    text = " ".join(str(value).split())
    return text if len(text) <= TEXT_CELL_MAX else text[: TEXT_CELL_MAX - 1] + "…"


def _num(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")
