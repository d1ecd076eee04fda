"""Execution accuracy (EX): do the predicted and the gold query return the same result?

Both queries are executed (read-only, through ``tools.safe_query.run_query``) on the same database and
their results compared by :func:`compare_results` with these exact rules:

1. **Values are normalised** before any comparison (:func:`normalize_value`):
   ``NULL`` stays ``None`` (and equals only ``NULL``); booleans become 0/1; every number (int, float,
   ``Decimal``) and every string that is entirely a decimal number (``-?digits[.digits]``, surrounding spaces
   ignored, e.g. ``"2026"``, ``"05"``, ``"12.50"``) becomes a number **rounded to 4 decimal places**, and an
   integral result becomes an ``int`` (so ``3``, ``3.0``, ``Decimal("3.00")`` and ``"3"`` are equal, as are
   ``0.1 + 0.2`` and ``0.3``); NaN becomes the string ``"NaN"``; dates, times and datetimes become ISO text with a space
   separator (``2026-06-30``, ``2026-06-30 14:05:00``), and text shaped like an ISO datetime with a ``T``
   separator is rewritten with a space; other strings are compared exactly (case- and accent-sensitive) after
   stripping surrounding whitespace; bytes compare as hex; anything else by ``str()``.
2. **Column counts must be equal**; column *names* never matter.
3. **Column order does not matter**: the predicted columns may be any permutation of the gold columns.
   A predicted column can stand for a gold column only when both hold the same multiset of normalised
   values; the candidate permutations (identity first) are tried until one makes the rows match.
4. **Rows are compared as multisets** (duplicates count, order ignored) — unless the gold query has a
   top-level ``ORDER BY`` (detected with sqlglot; an ``ORDER BY`` inside a subquery does not count), in which
   case the rows must also appear in the same order. Ties in the ordering are not forgiven.
5. Two empty results match when their column counts are equal.

Only rows returned under the eval's row cap are compared (a truncated result is flagged by the runner).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import exp

DECIMALS = 4
MAX_PERMUTATIONS = 5000
_NUMERIC_TEXT = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*$")
_ISO_T = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Comparison:
    """The verdict for one question: ``match`` plus why not (``reason``) and how columns were mapped."""

    match: bool
    reason: str  # "match" | "column_count" | "row_count" | "values" | "order"
    ordered: bool
    column_map: tuple[int, ...] | None = None  # gold column j ← predicted column column_map[j]


def _number(value: float) -> int | float:
    if math.isnan(value):
        return "NaN"  # type: ignore[return-value]  # NaN != NaN would break matching; compare as text
    if math.isinf(value):
        return value
    rounded = round(value, DECIMALS)
    if rounded.is_integer() and abs(rounded) < 2**53:
        return int(rounded)
    return rounded + 0.0  # -0.0 -> 0.0


def normalize_value(value: Any) -> Any:
    """Map one cell to its comparison key (rule 1 of the module docstring)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return "NaN"
        if value == value.to_integral_value() and abs(value) < 2**53:
            return int(value)
        return _number(float(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _number(value.total_seconds())
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, str):
        text = value.strip()
        if _NUMERIC_TEXT.match(text):
            try:
                return normalize_value(Decimal(text))
            except InvalidOperation:  # pragma: no cover - the regex only admits valid decimals
                return text
        return _ISO_T.sub(r"\1 \2", text)
    return str(value)


def normalize_rows(rows: Sequence[Sequence[Any]]) -> list[Row]:
    return [tuple(normalize_value(v) for v in row) for row in rows]


def gold_is_ordered(sql: str, dialect: str | None = None) -> bool:
    """True when the statement's outermost query has an ``ORDER BY`` (unparseable SQL counts as unordered)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect or None)
    except sqlglot.errors.ParseError:
        return False
    while isinstance(tree, exp.Subquery | exp.Paren):
        tree = tree.this
    return tree is not None and tree.args.get("order") is not None


def _column_signature(rows: list[Row], index: int) -> Counter:
    return Counter(row[index] for row in rows)


def _candidate_maps(gold: list[Row], pred: list[Row], width: int):
    """Yield bijections gold column → predicted column whose value multisets agree (identity first)."""
    gold_sigs = [_column_signature(gold, j) for j in range(width)]
    pred_sigs = [_column_signature(pred, i) for i in range(width)]
    candidates = []
    for j in range(width):
        options = [i for i in range(width) if pred_sigs[i] == gold_sigs[j]]
        options.sort(key=j.__ne__)  # the same position first (False sorts before True)
        if not options:
            return
        candidates.append(options)

    used: set[int] = set()
    chosen: list[int] = []

    def search(j: int):
        if j == width:
            yield tuple(chosen)
            return
        for i in candidates[j]:
            if i not in used:
                used.add(i)
                chosen.append(i)
                yield from search(j + 1)
                chosen.pop()
                used.discard(i)

    yield from search(0)


def compare_results(
    gold_columns: Sequence[str],
    gold_rows: Sequence[Sequence[Any]],
    pred_columns: Sequence[str],
    pred_rows: Sequence[Sequence[Any]],
    *,
    ordered: bool = False,
) -> Comparison:
    """Apply the EX rules of the module docstring to two result sets."""
    width = len(gold_columns)
    if len(pred_columns) != width:
        return Comparison(False, "column_count", ordered)
    if len(gold_rows) != len(pred_rows):
        return Comparison(False, "row_count", ordered)
    gold = normalize_rows(gold_rows)
    pred = normalize_rows(pred_rows)
    if not gold:
        return Comparison(True, "match", ordered, tuple(range(width)))
    gold_counter = Counter(gold)
    order_failed = False
    for tries, mapping in enumerate(_candidate_maps(gold, pred, width)):
        if tries >= MAX_PERMUTATIONS:
            break
        remapped = [tuple(row[i] for i in mapping) for row in pred]
        if Counter(remapped) != gold_counter:
            continue
        if ordered and remapped != gold:
            order_failed = True
            continue
        return Comparison(True, "match", ordered, mapping)
    return Comparison(False, "order" if order_failed else "values", ordered)
