"""The one percentile definition for evals and every bench: ``statistics.quantiles`` (inclusive, i.e. linear
interpolation between the closest ranks, as numpy's default)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values`` ignoring None; None when there are none.

    ``q`` is rounded to a whole percentile (1..99 via ``statistics.quantiles``; 0 and 100 are min and max).
    """
    data = [float(v) for v in values if v is not None]
    if not data:
        return None
    rank = round(q)
    if len(data) == 1 or rank <= 0:
        return min(data)
    if rank >= 100:
        return max(data)
    return statistics.quantiles(data, n=100, method="inclusive")[rank - 1]


def percentiles(values: Iterable[float | None], *qs: float) -> tuple[float, ...]:
    """Several percentiles at once (``values`` must hold at least one number)."""
    data = [float(v) for v in values if v is not None]
    if not data:
        raise ValueError("percentiles of an empty series")
    return tuple(percentile(data, q) or 0.0 for q in qs)
