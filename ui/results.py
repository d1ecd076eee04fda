"""A query result as browser elements: the compact sortable table's props, its CSV, and the interactive chart.

Pure functions, no Chainlit. The chart is a Plotly figure (JSON) chosen only from the result's shape
(``agent.chart.chart_kind``: label + number → bars, date + number → a line); it never runs model-written code.
Chainlit's bundled plotly.js draws it in the page, so no script comes from a CDN.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from agent.chart import CHART_MAX_POINTS, as_date, as_number, chart_kind
from ui import texts
from ui.render import format_cell, rows_caption

BAR_MAX_CATEGORIES = 30  # beyond this the bar chart shows the first 30 rows and says so in its title
_BAR_HEIGHT_PX = 17  # per category: every label stays readable, 30 bars still fit a phone screen
_COLOR = "#2563eb"


def _sort_value(value: Any) -> Any:
    """What the browser sorts a cell by: numbers as numbers, dates as ISO text, the rest as text, None last."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    number = as_number(value)
    if number is not None:
        return number
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _is_numeric(rows: Sequence[Sequence[Any]], index: int) -> bool:
    values = [row[index] for row in rows if row[index] is not None]
    return bool(values) and all(as_number(value) is not None for value in values)


def table_props(result: Any) -> dict[str, Any]:
    """Props of ``public/elements/Resultado.jsx``: pt-BR display text, sort keys, numeric columns, caption."""
    columns = [str(c) for c in result.columns]
    rows = [list(row) for row in result.rows]
    total = result.row_count if result.row_count is not None else len(rows)
    return {
        "columns": columns,
        "rows": [[format_cell(value, markdown=False) for value in row] for row in rows],
        "values": [[_sort_value(value) for value in row] for row in rows],
        "numeric": [_is_numeric(rows, i) for i in range(len(columns))],
        "caption": rows_caption(len(rows), total, bool(result.truncated)),
        "sortHint": texts.TABLE_SORT_HINT,
    }


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def result_csv(result: Any) -> bytes:
    """The whole result as RFC 4180 CSV in UTF-8: comma separator, dot decimals, ISO dates, empty for NULL."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(c) for c in result.columns])
    for row in result.rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _layout(title: str, height: int) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        "height": height,
        "autosize": True,
        "margin": {"l": 8, "r": 16, "t": 40, "b": 8, "pad": 4},
        "separators": ",.",  # pt-BR: decimal comma, thousands dot
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"size": 12, "color": "#888888"},
        "hoverlabel": {"font": {"size": 13}},
        "xaxis": {"gridcolor": "rgba(128,128,128,0.25)", "zerolinecolor": "rgba(128,128,128,0.4)"},
        "yaxis": {"gridcolor": "rgba(128,128,128,0.25)", "zerolinecolor": "rgba(128,128,128,0.4)"},
    }


def chart_figure(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any] | None:
    """A Plotly figure (``{"data", "layout", "config"}``) for the result, or ``None`` when no chart fits.

    Bars are horizontal, one row per category, so labels of up to ~30 categories stay readable; with more the
    first 30 rows are drawn and the title says so. Lines are sorted by date."""
    kind = chart_kind(columns, rows[:CHART_MAX_POINTS])
    if kind is None:
        return None
    x_name, y_name = str(columns[0]), str(columns[1])
    title = f"{y_name} por {x_name}"
    config = {"displayModeBar": False, "responsive": True, "locale": "pt-BR"}
    if kind == "line":
        points = [(as_date(row[0]), as_number(row[1])) for row in rows]
        if any(x is None or y is None for x, y in points):
            return None
        points.sort(key=lambda point: point[0])  # type: ignore[arg-type,return-value]  # None excluded above
        trace = {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [x.isoformat() for x, _ in points],  # type: ignore[union-attr]  # None excluded above
            "y": [y for _, y in points],
            "line": {"color": _COLOR},
            "hovertemplate": f"%{{x}}<br>{y_name}: %{{y:,.2f}}<extra></extra>",
        }
        layout = _layout(title, 320)
        layout["xaxis"] |= {"title": {"text": x_name}, "automargin": True}
        layout["yaxis"] |= {"title": {"text": y_name}, "automargin": True, "rangemode": "tozero"}
        return {"data": [trace], "layout": layout, "config": config}
    shown = rows[:BAR_MAX_CATEGORIES]
    if len(rows) > len(shown):
        title += f" ({len(shown)} primeiras de {len(rows)} linhas)"
    labels = [format_cell(row[0], markdown=False) for row in shown]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [as_number(row[1]) for row in shown],
        "y": labels,
        "marker": {"color": _COLOR},
        "hovertemplate": f"%{{y}}<br>{y_name}: %{{x:,.2f}}<extra></extra>",
    }
    layout = _layout(title, max(200, _BAR_HEIGHT_PX * len(shown) + 90))
    layout["yaxis"] |= {"autorange": "reversed", "automargin": True, "type": "category", "tickfont": {"size": 12}}
    layout["xaxis"] |= {"title": {"text": y_name}, "automargin": True}
    layout["bargap"] = 0.25
    return {"data": [trace], "layout": layout, "config": config}
