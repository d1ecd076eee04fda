"""run_query's window: max_rows rows from offset, the total row count and how to get more (demo SQLite)."""

from __future__ import annotations

import dataclasses

import pytest

from tools.context import QueryLimits, ToolContext
from tools.errors import InvalidInputError
from tools.registry import get_tool
from tools.safe_query import QueryResult, RunQueryInput, run_query
from tools.safe_query.result import MAX_WINDOW, TEXT_BUDGET

ALL_CLIENTS = "SELECT id, nome FROM clientes ORDER BY id"


def run(ctx: ToolContext, sql: str = ALL_CLIENTS, **arguments: object) -> QueryResult:
    return run_query(RunQueryInput.model_validate({"sql": sql, **arguments}), ctx)


def shown_ids(result: QueryResult) -> list[int]:
    return [int(line.split(" | ")[0]) for line in result.to_text().splitlines()[1:] if line[:1].isdigit()]


def test_default_window_counts_every_row_and_says_how_to_get_more(tool_ctx: ToolContext) -> None:
    result = run(tool_ctx)
    assert result.total_rows == 600 and result.offset == 0
    assert shown_ids(result) == list(range(1, 21))
    assert result.next_offset == 20
    assert "Linhas 1-20 de 600 linhas" in result.to_text() and "offset=20" in result.to_text()


def test_offset_and_max_rows_page_through_the_result(tool_ctx: ToolContext) -> None:
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None and len(seen) < 600:
        page = run(tool_ctx, max_rows=150, offset=offset)
        seen += shown_ids(page)
        offset = page.next_offset
    assert seen == list(range(1, 601)) and offset is None
    last = run(tool_ctx, max_rows=150, offset=450)
    assert "Linhas 451-600 de 600 linhas" in last.to_text() and "offset=" not in last.to_text()


def test_window_is_bounded_and_structured_matches_text(tool_ctx: ToolContext) -> None:
    result = run(tool_ctx, max_rows=600)
    assert len(result.rows) == 600  # the rows fetched (the agent and the UI use them)
    assert len(shown_ids(result)) == MAX_WINDOW
    structured = get_tool("run_query").structured(result)
    assert [row[0] for row in structured["rows"]] == shown_ids(result)
    assert structured["row_count"] == MAX_WINDOW and structured["next_offset"] == MAX_WINDOW
    assert structured["truncated"] is True and structured["total_rows"] == 600


def test_wide_rows_shorten_the_window_to_the_text_budget(tool_ctx: ToolContext) -> None:
    wide = "SELECT id, " + ", ".join(["nome"] * 12) + " FROM clientes ORDER BY id"
    result = run(tool_ctx, wide, max_rows=200)
    shown = len(shown_ids(result))
    assert 0 < shown < 200 and len(result.to_text()) < TEXT_BUDGET + 2000
    assert result.next_offset == shown


def test_total_is_counted_when_the_cap_cuts_the_result(tool_ctx: ToolContext) -> None:
    small = dataclasses.replace(tool_ctx, query_limits=QueryLimits(max_rows=50, timeout_s=10))
    result = run(small, "SELECT * FROM pedidos")
    assert result.truncated and result.row_count == 50 and result.total_rows == 1800
    assert "de 1800 linhas" in result.to_text()


def test_offset_past_the_end_and_too_far(tool_ctx: ToolContext) -> None:
    past = run(tool_ctx, offset=700)
    assert past.rows == [] and past.total_rows == 600 and past.next_offset is None
    assert "Nenhuma linha a partir da linha 701" in past.to_text()
    with pytest.raises(InvalidInputError):
        run(tool_ctx, offset=10 * tool_ctx.query_limits.max_rows + 1)


def test_small_results_read_as_before(tool_ctx: ToolContext) -> None:
    result = run(tool_ctx, "SELECT uf, COUNT(*) AS n FROM clientes GROUP BY uf ORDER BY n DESC LIMIT 3")
    assert result.total_rows == 3 and result.next_offset is None
    assert result.to_text().splitlines()[-2] == "3 linhas."


def test_the_total_count_only_gets_what_is_left_of_the_time_limit(
    tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import tools.safe_query.tool as tool_module

    timeouts: list[float] = []
    real = tool_module.execute_readonly
    slow_first = [True]

    def recording(engine: object, dialect: str, sql: str, max_rows: int, timeout_s: float, **kw: object) -> object:
        timeouts.append(timeout_s)
        if slow_first[0] and len(timeouts) == 1:
            time.sleep(0.9)  # the main query used most of the 1 s limit
        return real(engine, dialect, sql, max_rows, timeout_s, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tool_module, "execute_readonly", recording)
    small = dataclasses.replace(tool_ctx, query_limits=QueryLimits(max_rows=50, timeout_s=1.0))
    result = run(small, "SELECT * FROM pedidos")
    assert result.truncated and result.total_rows is None  # no time left: not counted
    assert timeouts == [1.0]
    timeouts.clear()
    slow_first[0] = False
    result = run(small, "SELECT * FROM pedidos")
    assert result.total_rows == 1800 and len(timeouts) == 2 and timeouts[1] < 1.0
