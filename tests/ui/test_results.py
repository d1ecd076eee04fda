"""A query result as browser elements: table props, CSV and the Plotly chart (pure functions, real results)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

from ui import results


def _result(columns: list[str], rows: list[list[object]], truncated: bool = False) -> SimpleNamespace:
    return SimpleNamespace(columns=columns, rows=rows, row_count=len(rows), truncated=truncated)


def test_table_props_format_pt_br_and_keep_sort_keys() -> None:
    result = _result(["produto", "valor", "quando"], [["Caneca|azul", Decimal("1234.5"), dt.date(2026, 1, 2)]])
    props = results.table_props(result)
    assert props["rows"] == [["Caneca|azul", "1.234,50", "02/01/2026"]]
    assert props["values"] == [["Caneca|azul", 1234.5, "2026-01-02"]]
    assert props["numeric"] == [False, True, False]
    assert props["caption"] == "1 de 1 linha"


def test_csv_is_the_whole_result_machine_readable() -> None:
    rows = [[i, f"cliente, {i}", Decimal("10.50") * i, None, dt.date(2026, 5, i % 28 + 1)] for i in range(1, 251)]
    result = _result(["id", "nome", "valor", "obs", "data"], rows)
    parsed = list(csv.reader(io.StringIO(results.result_csv(result).decode("utf-8"), newline="")))
    assert parsed[0] == ["id", "nome", "valor", "obs", "data"]
    assert len(parsed) == 251
    assert parsed[1] == ["1", "cliente, 1", "10.50", "", "2026-05-02"]


def test_bar_chart_for_label_and_number_keeps_every_label_up_to_30() -> None:
    rows = [[f"UF{i:02d}", 100 - i] for i in range(27)]
    figure = results.chart_figure(["uf", "clientes"], rows)
    assert figure is not None
    trace = figure["data"][0]
    assert trace["type"] == "bar" and trace["orientation"] == "h" and len(trace["y"]) == 27
    assert figure["layout"]["yaxis"]["type"] == "category" and figure["layout"]["separators"] == ",."
    assert figure["config"]["displayModeBar"] is False


def test_more_than_30_categories_draws_the_first_30_and_says_so() -> None:
    rows = [[f"cidade {i}", i] for i in range(35)]
    figure = results.chart_figure(["cidade", "n"], rows)
    assert figure is not None and len(figure["data"][0]["y"]) == 30
    assert "30 primeiras de 35" in figure["layout"]["title"]["text"]


def test_line_chart_for_dates_sorted_and_no_chart_for_other_shapes() -> None:
    figure = results.chart_figure(["mes", "faturamento"], [["2026-03", 3.0], ["2026-01", 1.0], ["2026-02", 2.0]])
    assert figure is not None and figure["data"][0]["type"] == "scatter"
    assert figure["data"][0]["y"] == [1.0, 2.0, 3.0]
    assert results.chart_figure(["a", "b", "c"], [[1, 2, 3], [4, 5, 6]]) is None
    assert results.chart_figure(["nome", "cidade"], [["A", "x"], ["B", "y"]]) is None
