"""Tables that read well at any width: the grid when every cell fits on one line, one block per row otherwise.

A rich ``Table`` squeezed below its natural width folds cells mid-word (``categorias.i`` / ``d``) and clips
values with ``…``. When the grid does not fit the console (80 columns, a phone's SSH client, a pipe, which rich
treats as 80 columns unless ``COLUMNS`` says otherwise), rows are printed like psql's expanded mode instead:
the first cell as a heading, then ``column: value`` lines wrapped at word boundaries and indented, so every
value is printed whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

Cell = str | Text


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text.from_markup(cell)


def grid(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, title: str | None = None) -> Table:
    table = Table(title=title, header_style="bold", title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(_text(cell) for cell in row))
    return table


def fits(console: Console, renderable: RenderableType, width: int | None = None) -> bool:
    """Whether ``renderable`` prints at its natural width (no cell wrapped or clipped) within ``width``."""
    available = width if width is not None else console.width
    unbounded = console.options.update(max_width=10_000)  # measure the natural width, not the clamped one
    return Measurement.get(console, unbounded, renderable).maximum <= available


def stacked(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    indent: int = 2,
    numbered: bool = False,
) -> Group:
    """One block per row: the first cell in bold, then ``header: value`` for the non-empty others. ``numbered``
    (query results, where every column matters): a ``linha N`` heading, then every column, empty ones too."""
    parts: list[RenderableType] = []
    if title:
        parts.append(Text(title, style="bold"))
    for index, row in enumerate(rows):
        if index or title:
            parts.append(Text(""))
        if numbered:
            parts.append(Text(f"linha {index + 1}", style="bold"))
            cells = list(zip(headers, row, strict=False))
        else:
            head = _text(row[0]).copy() if row else Text("")
            head.stylize("bold")
            parts.append(head)
            cells = list(zip(headers[1:], row[1:], strict=False))
        for header, cell in cells:
            value = _text(cell)
            if numbered or value.plain.strip():
                label = _text(header).copy()  # headers are markup like cells (escaped by the caller)
                label.append(": ")
                label.stylize("dim")
                parts.append(Padding(Text.assemble(label, value), (0, 0, 0, indent), expand=False))
    return Group(*parts)


def print_rows(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    numbered: bool = False,
) -> None:
    """The grid when it fits the console, else the stacked blocks."""
    table = grid(headers, rows, title=title)
    console.print(table if fits(console, table) else stacked(headers, rows, title=title, numbered=numbered))


__all__ = ["Cell", "fits", "grid", "print_rows", "stacked"]
