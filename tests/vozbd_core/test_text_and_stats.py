"""The shared pt-BR formatting, pluralisation and percentile helpers."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import pytest

from vozbd_core.stats import percentile, percentiles
from vozbd_core.text import format_date, format_number, plural


def test_plural() -> None:
    assert plural(1, "linha") == "1 linha"
    assert plural(0, "linha") == "0 linhas"
    assert plural(12, "mês", "meses") == "12 meses"


def test_numbers_and_dates_in_pt_br() -> None:
    assert format_number(Decimal("1234567.5"), decimals=2) == "1.234.567,50"
    assert format_number(-0.5, decimals=2) == "-0,50"
    assert format_number(12345, group_from=10_000) == "12.345"
    assert format_number(2026, group_from=10_000) == "2026"
    assert format_date(dt.date(2026, 6, 30)) == "30/06/2026"
    assert format_date(dt.datetime(2026, 6, 30, 9, 5, 7)) == "30/06/2026 09:05:07"


def test_percentile_matches_statistics_quantiles_and_handles_edges() -> None:
    values = [float(v) for v in (12, 3, 7, 40, 18, 25, 9, 31)]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    assert percentile(values, 50) == pytest.approx(cuts[49]) == pytest.approx(statistics.median(values))
    assert percentile(values, 95) == pytest.approx(cuts[94])
    assert percentile(values, 0) == 3 and percentile(values, 100) == 40
    assert percentile([None, 5.0, None], 95) == 5.0
    assert percentile([], 50) is None
    assert percentiles(values, 50, 95) == (percentile(values, 50), percentile(values, 95))
    with pytest.raises(ValueError, match="empty"):
        percentiles([], 50)


def test_format_percent_is_pt_br() -> None:
    from vozbd_core.text import format_percent

    assert format_percent(0.5) == "50,0%"
    assert format_percent(1) == "100,0%"
    assert format_percent(0.12346, decimals=2) == "12,35%"
    assert format_percent(None) == "—"
