"""Deterministic chart choice for a query result, from its shape only (never from model-written code).

One label + one number → bars; one date + one number → a line; anything else → no chart. Shared by the chat
UI (which draws a PNG) and the REST API (which returns the spec for the client to draw).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

CHART_MAX_POINTS = 40
_DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T].*)?$")

ChartKind = Literal["bar", "line"]


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    return None


def as_date(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        text = value.strip()
        if len(text) == 7:  # YYYY-MM
            text += "-01"
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def chart_kind(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> ChartKind | None:
    """``"line"`` for date + number, ``"bar"`` for label + number, else ``None`` (no chart)."""
    if len(columns) != 2 or not 2 <= len(rows) <= CHART_MAX_POINTS:
        return None
    if any(len(row) != 2 or as_number(row[1]) is None for row in rows):
        return None
    if all(as_date(row[0]) is not None for row in rows):
        return "line"
    if all(row[0] is not None and as_number(row[0]) is None for row in rows):
        return "bar"
    return None


def chart_spec(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any] | None:
    """``{"kind", "x", "y", "title", "points": [[x, y], ...]}`` (lines sorted by date), or ``None``."""
    kind = chart_kind(columns, rows)
    if kind is None:
        return None
    points: list[list[Any]] = []
    for row in rows:
        x = as_date(row[0]).isoformat() if kind == "line" else str(row[0])  # type: ignore[union-attr]  # line charts are chosen only when every first cell parses as a date
        points.append([x, as_number(row[1])])
    if kind == "line":
        points.sort(key=lambda point: point[0])
    return {"kind": kind, "x": columns[0], "y": columns[1], "title": f"{columns[1]} por {columns[0]}", "points": points}
