"""Pure rendering of query results: a markdown table with a row caption and a deterministic chart.

The chart is built only from the result's shape (one label + one number → bars, one date + one number →
line); it never runs model-written code. matplotlib is imported lazily.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from agent.chart import as_date, as_number, chart_kind
from ui import texts
from vozbd_core.text import format_date, format_number, plural

TABLE_MAX_ROWS = 20


def format_cell(value: Any) -> str:
    """One cell as pt-BR text (decimal comma, thousands dot), safe inside a markdown table."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, int):
        return format_number(value, group_from=10_000)  # years and ids stay ungrouped
    if isinstance(value, float | Decimal):
        if math.isnan(float(value)):
            return "—"
        return format_number(value, decimals=2)
    if isinstance(value, dt.date):
        return format_date(value)
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("|", "\\|")


def rows_caption(shown: int, total: int, truncated: bool) -> str:
    if truncated:
        return texts.ROWS_CAPTION_TRUNCATED.format(shown=shown, total=total)
    return texts.ROWS_CAPTION.format(shown=shown, total=plural(total, "linha"))


def markdown_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, total: int | None = None, truncated: bool = False
) -> str:
    """A markdown table of at most ``TABLE_MAX_ROWS`` rows followed by "N de M linhas"."""
    if not rows:
        return texts.NO_ROWS
    shown = rows[:TABLE_MAX_ROWS]
    header = "| " + " | ".join(format_cell(c) for c in columns) + " |"
    separator = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(format_cell(v) for v in row) + " |" for row in shown]
    total_rows = total if total is not None else len(rows)
    caption = rows_caption(len(shown), total_rows, truncated)
    return "\n".join([header, separator, *body]) + f"\n\n_{caption}_"


def chart_png(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes | None:
    """A small PNG chart of the result, or ``None`` when the shape does not call for one."""
    kind = chart_kind(columns, rows)
    if kind is None:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    values = [as_number(row[1]) or 0.0 for row in rows]
    figure = Figure(figsize=(6.4, 3.2), dpi=100, layout="constrained")
    axes = figure.subplots()
    if kind == "line":
        points = sorted(zip((as_date(row[0]) for row in rows), values, strict=True))
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#2563eb")  # type: ignore[arg-type]  # matplotlib plots dates; its stubs only list numbers
        figure.autofmt_xdate()
    else:
        labels = [format_cell(row[0])[:24] for row in rows]
        axes.barh(labels[::-1], values[::-1], color="#2563eb")
    axes.set_title(f"{columns[1]} por {columns[0]}", fontsize=10)
    axes.grid(axis="x" if kind == "bar" else "y", alpha=0.3)
    axes.tick_params(labelsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _key_marks(table: Any) -> dict[str, str]:
    marks: dict[str, list[str]] = {}
    for name in table.primary_key:
        marks.setdefault(name, []).append("PK")
    for fk in table.foreign_keys:
        for column, referred in zip(fk.columns, fk.referred_columns, strict=False):
            marks.setdefault(column, []).append(f"FK → {fk.referred_table}.{referred}")
    return {name: ", ".join(values) for name, values in marks.items()}


def schema_markdown(schema: Any, *, detailed: bool) -> str:
    """The schema viewer: an overview of every table, or (``detailed``) columns and keys of each table."""
    if not schema.tables:
        return "_Nenhuma tabela encontrada._"
    if not detailed:
        described = any(table.comment for table in schema.tables)
        lines = ["| Tabela | Colunas | Linhas (aprox.) |" + (" Descrição |" if described else ""), "|---|---|---|"]
        lines[1] += "---|" if described else ""
        for table in schema.tables:
            rows = format_cell(table.row_count) if table.row_count is not None else "—"
            kind = " (view)" if table.kind == "view" else ""
            comment = f" {format_cell(table.comment or '')} |" if described else ""
            lines.append(f"| `{table.name}`{kind} | {len(table.columns)} | {rows} |{comment}")
        lines.append("\n_Detalhes de uma tabela: `/esquema nome_da_tabela`._")
        return "\n".join(lines)
    blocks = []
    for table in schema.tables:
        marks = _key_marks(table)
        described = any(column.comment for column in table.columns)
        header = f"#### `{table.name}`" + (f" — {table.comment}" if table.comment else "")
        columns_header = "| Coluna | Tipo | Chave | Nulo |" + (" Descrição |" if described else "")
        lines = [header, "", columns_header, "|---|---|---|---|" + ("---|" if described else "")]
        for column in table.columns:
            nullable = "sim" if column.nullable else "não"
            comment = f" {format_cell(column.comment or '')} |" if described else ""
            key = marks.get(column.name, "")
            lines.append(f"| `{column.name}` | {format_cell(column.type)} | {key} | {nullable} |{comment}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
