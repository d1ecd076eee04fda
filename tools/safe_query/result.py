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


class QueryResult(BaseModel):
    """The rows of one read-only query (at most the row cap)."""

    connection: str = Field(description="Conexão usada (nome salvo, 'demo' ou URL com a senha mascarada).")
    dialect: str = Field(description="Dialeto SQL: sqlite, postgres, mysql, oracle ou tsql.")
    columns: list[str] = Field(description="Nomes das colunas, na ordem.")
    rows: list[list[Any]] = Field(description="Linhas devolvidas (no máximo o limite de linhas).")
    row_count: int = Field(description="Quantidade de linhas devolvidas.")
    truncated: bool = Field(description="True se o resultado tinha mais linhas que o limite e foi cortado.")
    elapsed_ms: float = Field(description="Tempo de execução no banco, em milissegundos.")
    executed_sql: str = Field(description="O SQL exatamente como foi executado (com o limite de linhas aplicado).")
    cells_cut: int = Field(0, description="Quantos valores de texto longos foram cortados (terminam em '[cortado').")

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

    def to_text(self, max_rows: int = 20) -> str:
        """The first ``max_rows`` rows as a compact table, the row count and per-numeric-column stats (pt-BR)."""
        shown = self.rows[: max(0, max_rows)]
        lines = [" | ".join(_cell(name) for name in self.columns)] if self.columns else []
        lines += [" | ".join(_cell(value) for value in row) for row in shown]
        more = " (resultado cortado no limite de linhas; há mais linhas no banco)" if self.truncated else ""
        count = f"{self.row_count} linha" + ("" if self.row_count == 1 else "s") + more + "."
        if len(shown) < self.row_count:
            count += f" Mostrando as primeiras {len(shown)}."
        if self.cells_cut:
            count += f" {self.cells_cut} valor(es) de texto longo(s) foram cortados."
        lines.append(count)
        stats = self.column_stats() if self.row_count > 1 else []
        if stats:
            parts = [f"{s.column}: mín {_num(s.min)}, máx {_num(s.max)}, média {_num(s.mean)}" for s in stats]
            lines.append("Estatísticas: " + "; ".join(parts) + ".")
        return "\n".join(lines)


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
