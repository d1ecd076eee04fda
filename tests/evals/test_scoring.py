"""EX rules of evals.scoring on crafted result sets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from evals.scoring import compare_results, gold_is_ordered, normalize_value


def ex(gold_cols, gold_rows, pred_cols, pred_rows, ordered=False):
    return compare_results(gold_cols, gold_rows, pred_cols, pred_rows, ordered=ordered)


def test_identical_results_match() -> None:
    result = ex(["uf", "n"], [("SP", 10), ("RJ", 5)], ["uf", "n"], [("SP", 10), ("RJ", 5)])
    assert result.match and result.reason == "match"
    assert result.column_map == (0, 1)


def test_row_order_ignored_without_order_by() -> None:
    assert ex(["a"], [(1,), (2,), (3,)], ["a"], [(3,), (1,), (2,)]).match


def test_row_order_enforced_with_order_by() -> None:
    result = ex(["a"], [(1,), (2,), (3,)], ["a"], [(3,), (1,), (2,)], ordered=True)
    assert not result.match and result.reason == "order"
    assert ex(["a"], [(1,), (2,)], ["a"], [(1,), (2,)], ordered=True).match


def test_duplicates_count() -> None:
    result = ex(["a"], [(1,), (1,), (2,)], ["a"], [(1,), (2,), (2,)])
    assert not result.match and result.reason == "values"
    assert not ex(["a"], [(1,), (1,)], ["a"], [(1,)]).match
    assert ex(["a"], [(1,), (1,), (2,)], ["a"], [(2,), (1,), (1,)]).match


def test_nulls_equal_only_nulls() -> None:
    assert ex(["a", "b"], [(None, 1)], ["a", "b"], [(None, 1)]).match
    assert not ex(["a"], [(None,)], ["a"], [(0,)]).match
    assert not ex(["a"], [(None,)], ["a"], [("",)]).match
    assert not ex(["a"], [(None,)], ["a"], [("None",)]).match


def test_float_rounding_and_numeric_types() -> None:
    assert ex(["v"], [(0.1 + 0.2,)], ["v"], [(0.3,)]).match
    assert ex(["v"], [(Decimal("1234.50"),)], ["v"], [(1234.5,)]).match
    assert ex(["v"], [(Decimal("3.00"),)], ["v"], [(3,)]).match
    assert ex(["v"], [(12.345678,)], ["v"], [(12.34568,)]).match
    assert not ex(["v"], [(12.3456,)], ["v"], [(12.35,)]).match  # a prediction rounded to 2 places differs
    assert not ex(["v"], [(1.0,)], ["v"], [(1.001,)]).match


def test_numeric_strings_equal_numbers_but_other_text_is_exact() -> None:
    assert ex(["ano"], [("2026",)], ["ano"], [(2026,)]).match
    assert ex(["mes"], [("05",)], ["mes"], [(5,)]).match
    assert not ex(["uf"], [("SP",)], ["uf"], [("sp",)]).match
    assert not ex(["c"], [("São Paulo",)], ["c"], [("Sao Paulo",)]).match
    assert ex(["c"], [("São Paulo ",)], ["c"], [("São Paulo",)]).match


def test_dates_and_iso_text() -> None:
    assert ex(["d"], [(dt.date(2026, 6, 30),)], ["d"], [("2026-06-30",)]).match
    assert ex(["d"], [(dt.datetime(2026, 6, 30, 14, 5),)], ["d"], [("2026-06-30 14:05:00",)]).match
    assert ex(["d"], [("2026-06-30T14:05:00",)], ["d"], [("2026-06-30 14:05:00",)]).match
    assert not ex(["d"], [(dt.date(2026, 6, 30),)], ["d"], [("2026-06-29",)]).match


def test_column_order_is_ignored() -> None:
    result = ex(["uf", "n"], [("SP", 10), ("RJ", 5)], ["n", "uf"], [(5, "RJ"), (10, "SP")])
    assert result.match
    assert result.column_map == (1, 0)


def test_column_permutation_must_keep_rows_together() -> None:
    # Same column value multisets, but the pairing of values in rows differs.
    gold = [(1, 1), (2, 2)]
    pred = [(1, 2), (2, 1)]
    assert not ex(["a", "b"], gold, ["a", "b"], pred).match


def test_ambiguous_columns_try_more_than_one_permutation() -> None:
    # Columns a and b hold the same multiset; only the swapped mapping matches the rows.
    gold = [(1, 2, "x"), (2, 1, "y")]
    pred = [("x", 2, 1), ("y", 1, 2)]
    result = ex(["a", "b", "c"], gold, ["c", "a", "b"], pred)
    assert result.match


def test_column_names_do_not_matter() -> None:
    assert ex(["total"], [(7,)], ["count(*)"], [(7,)]).match


def test_different_column_counts_never_match() -> None:
    result = ex(["uf"], [("SP",)], ["uf", "n"], [("SP", 10)])
    assert not result.match and result.reason == "column_count"


def test_different_row_counts() -> None:
    result = ex(["a"], [(1,)], ["a"], [(1,), (2,)])
    assert not result.match and result.reason == "row_count"


def test_empty_results() -> None:
    assert ex(["a"], [], ["b"], []).match
    assert not ex(["a"], [], ["a", "b"], []).match
    assert not ex(["a"], [(1,)], ["a"], []).match


def test_booleans_and_bytes() -> None:
    assert ex(["ativo"], [(True,)], ["ativo"], [(1,)]).match
    assert normalize_value(b"\x01\xff") == "01ff"


def test_nan_is_comparable() -> None:
    assert ex(["v"], [(float("nan"),)], ["v"], [(float("nan"),)]).match


@pytest.mark.parametrize(
    ("sql", "ordered"),
    [
        ("SELECT uf, COUNT(*) FROM clientes GROUP BY uf ORDER BY 2 DESC", True),
        ("SELECT uf FROM clientes", False),
        ("SELECT * FROM (SELECT uf FROM clientes ORDER BY uf) t", False),
        ("SELECT uf FROM clientes WHERE id IN (SELECT id FROM clientes ORDER BY id LIMIT 3)", False),
        ("SELECT uf FROM clientes UNION SELECT uf_entrega FROM pedidos ORDER BY 1", True),
        ("WITH t AS (SELECT uf FROM clientes) SELECT uf FROM t ORDER BY uf", True),
        ("not sql at all ((", False),
    ],
)
def test_gold_is_ordered(sql: str, ordered: bool) -> None:
    assert gold_is_ordered(sql, "sqlite") is ordered
