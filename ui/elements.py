"""Chainlit elements of a query result: the compact table, its CSV file and the interactive chart."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import chainlit as cl
from chainlit.element import Element, ElementType
from pydantic.dataclasses import dataclass

from ui import results, texts

TABLE_ELEMENT = "Resultado"  # public/elements/Resultado.jsx


@dataclass
class PlotlyFigure(Element):
    """Chainlit's Plotly element fed with a figure's JSON (``ui.results.chart_figure``).

    ``cl.Plotly`` wants a ``plotly.graph_objects.Figure``; the browser only needs the JSON, so the ``plotly``
    package (and pandas, for ``cl.Dataframe``) is not a dependency of the chat."""

    type: ClassVar[ElementType] = "plotly"
    size: Any = "large"
    figure: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.content = json.dumps(self.figure or {}, default=str)
        self.mime = "application/json"
        super().__post_init__()


def _build(result: Any, index: int) -> list[Element]:
    if not result.rows:
        return []
    columns, rows = list(result.columns), list(result.rows)
    elements: list[Element] = [
        cl.CustomElement(name=TABLE_ELEMENT, props=results.table_props(result), display="inline"),
        cl.File(
            name=texts.CSV_NAME.format(n=index),
            content=results.result_csv(result),
            mime="text/csv",
            display="inline",
        ),
    ]
    figure = results.chart_figure(columns, rows)
    if figure is not None:
        elements.append(PlotlyFigure(name=f"grafico-{index}", figure=figure, display="inline"))
    return elements


async def result_elements(result: Any) -> tuple[str, list[Element]]:
    """Text to add to the message (only when the result is empty) and the table/CSV/chart elements."""
    counter = int(cl.user_session.get("result_counter") or 0) + 1
    cl.user_session.set("result_counter", counter)
    elements = await asyncio.to_thread(_build, result, counter)
    return ("" if elements else texts.NO_ROWS), elements
