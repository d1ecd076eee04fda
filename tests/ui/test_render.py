"""Result rendering: pt-BR table cells, row caption, and which results get which chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from agent.chart import chart_kind
from ui import render


def test_cells_are_pt_br_and_table_safe() -> None:
    assert render.format_cell(Decimal("1234567.5")) == "1.234.567,50"
    assert render.format_cell(12345) == "12.345"
    assert render.format_cell(None) == "—"
    assert render.format_cell(True) == "sim"
    assert render.format_cell("a|b\nc") == "a\\|b c"
    assert render.format_cell("a|b", markdown=False) == "a|b"
    assert render.format_cell(dt.date(2026, 6, 30)) == "30/06/2026"
    assert render.format_cell(dt.datetime(2026, 6, 30, 14, 5)) == "30/06/2026 14:05"
    assert render.format_cell(2026) == "2026"  # years and ids stay ungrouped


def test_rows_caption() -> None:
    assert render.rows_caption(1, 1, False) == "1 de 1 linha"
    assert render.rows_caption(5, 5, False) == "5 de 5 linhas"
    assert "limitado" in render.rows_caption(1000, 1000, True)


def test_chart_kind_follows_result_shape() -> None:
    assert chart_kind(["produto", "unidades"], [["A", 3], ["B", Decimal("2")]]) == "bar"
    assert chart_kind(["mes", "faturamento"], [["2026-01", 10.0], ["2026-02", 12.5]]) == "line"
    assert chart_kind(["dia", "n"], [[dt.date(2026, 1, 1), 1], [dt.date(2026, 1, 2), 2]]) == "line"
    assert chart_kind(["a", "b", "c"], [[1, 2, 3], [4, 5, 6]]) is None  # not two columns
    assert chart_kind(["nome", "cidade"], [["A", "x"], ["B", "y"]]) is None  # no number
    assert chart_kind(["produto", "unidades"], [["A", 3]]) is None  # one point
    assert chart_kind(["id", "valor"], [[1, 3], [2, 4]]) is None  # number vs number


def test_schema_markdown_overview_and_details() -> None:
    from tools.schema_inspect.models import ColumnInfo, ForeignKeyInfo, SchemaResult, TableInfo

    table = TableInfo(
        name="pedidos",
        columns=[
            ColumnInfo(name="id", type="INTEGER", nullable=False),
            ColumnInfo(name="cliente_id", type="INTEGER", nullable=False, comment="quem comprou"),
        ],
        primary_key=["id"],
        foreign_keys=[ForeignKeyInfo(columns=["cliente_id"], referred_table="clientes", referred_columns=["id"])],
        row_count=12000,
    )
    schema = SchemaResult(connection="demo", dialect="sqlite", tables=[table], compact="")
    overview = render.schema_markdown(schema, detailed=False)
    assert "| `pedidos` | 2 | 12.000 |" in overview and "Descrição" not in overview
    details = render.schema_markdown(schema, detailed=True)
    assert "| `id` | INTEGER | PK | não |  |" in details
    assert "| `cliente_id` | INTEGER | FK → clientes.id | não | quem comprou |" in details
