"""Pure rendering for the chat: pt-BR cells, the row caption and the schema viewer's markdown.

Query results become browser elements in ``ui.results`` (table, CSV, chart).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from ui import texts
from vozbd_core.text import format_date, format_number, plural


def format_cell(value: Any, *, markdown: bool = True) -> str:
    """One cell as pt-BR text (decimal comma, thousands dot); with ``markdown``, safe inside a markdown table."""
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
    return text.replace("|", "\\|") if markdown else text


def rows_caption(shown: int, total: int, truncated: bool) -> str:
    if truncated:
        return texts.ROWS_CAPTION_TRUNCATED.format(shown=shown, total=total)
    return texts.ROWS_CAPTION.format(shown=shown, total=plural(total, "linha"))


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
