"""Rows sent to a model, capped per connection separately from the rows the user sees (``policy.model_rows``);
string literals blanked from remembered SQL when a policy forbids sample values. Real demo database (SQLite)."""

from __future__ import annotations

import pytest

from tools.context import ToolContext
from tools.db.registry import DEMO_NAME
from tools.policy import ConnectionPolicy, model_rows_cap
from tools.policy.literals import blank_string_literals
from tools.safe_query import RunQueryInput, run_query
from tools.safe_query.result import MAX_WINDOW


def _rows(ctx: ToolContext, sql: str, max_rows: int | None = None) -> tuple[int, list[str], dict]:
    result = run_query(RunQueryInput(sql=sql, max_rows=max_rows), ctx)
    text_lines = result.to_text().splitlines()
    return result.row_count, text_lines, result.to_structured()


def test_model_sees_at_most_model_rows_while_the_user_gets_every_row(tool_ctx: ToolContext) -> None:
    tool_ctx.policies = {DEMO_NAME: ConnectionPolicy(model_rows=3)}
    fetched, text, structured = _rows(tool_ctx, "SELECT id, nome, cidade FROM clientes ORDER BY id", max_rows=150)
    assert fetched > 3  # the user's rows: up to the query cap
    table_lines = [line for line in text if " | " in line]
    assert len(table_lines) == 1 + 3  # header + 3 rows for the model, even though 150 were asked for
    assert len(structured["rows"]) == 3 and structured["next_offset"] is None
    assert "política desta conexão" in text[-1]
    assert not any(line.startswith("Estatísticas") for line in text), "stats over unseen rows would leak them"


def test_model_rows_zero_sends_only_columns_and_counts(tool_ctx: ToolContext) -> None:
    tool_ctx.policies = {DEMO_NAME: ConnectionPolicy(model_rows=0)}
    fetched, text, structured = _rows(tool_ctx, "SELECT nome, cidade FROM clientes")
    assert fetched > 0 and structured["rows"] == []
    assert text[0] == "nome | cidade" and all(" | " not in line for line in text[1:])


def test_without_a_cap_the_window_and_stats_are_unchanged(tool_ctx: ToolContext) -> None:
    _, text, structured = _rows(tool_ctx, "SELECT id FROM clientes ORDER BY id")
    assert len(structured["rows"]) == 20 and structured["next_offset"] == 20
    assert text[-1].startswith("Estatísticas")


def test_small_results_under_the_cap_keep_their_stats(tool_ctx: ToolContext) -> None:
    tool_ctx.policies = {DEMO_NAME: ConnectionPolicy(model_rows=5)}
    _, text, _ = _rows(tool_ctx, "SELECT id FROM clientes ORDER BY id LIMIT 3")
    assert text[-1].startswith("Estatísticas")


def test_model_rows_cap_never_exceeds_the_window_ceiling() -> None:
    assert model_rows_cap(ConnectionPolicy(), MAX_WINDOW) == MAX_WINDOW
    assert model_rows_cap(ConnectionPolicy(model_rows=10_000), MAX_WINDOW) == MAX_WINDOW
    assert model_rows_cap(ConnectionPolicy(model_rows=7), MAX_WINDOW) == 7
    with pytest.raises(ValueError):
        ConnectionPolicy(model_rows=-1)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT nome FROM clientes WHERE uf = 'SP'", "SELECT nome FROM clientes WHERE uf = '?'"),
        ("SELECT 1 WHERE a = 'O''Brien' OR b = E'x\\'y'", "SELECT 1 WHERE a = '?' OR b = '?'"),
        ("SELECT \"Nome\" FROM t WHERE d >= '2024-01-01'", "SELECT \"Nome\" FROM t WHERE d >= '?'"),
        ("SELECT COUNT(*) FROM pedidos WHERE valor > 100", "SELECT COUNT(*) FROM pedidos WHERE valor > 100"),
    ],
)
def test_blank_string_literals(sql: str, expected: str) -> None:
    assert blank_string_literals(sql) == expected


def test_paging_past_the_model_cap_is_refused(tool_ctx: ToolContext) -> None:
    from tools.errors import ToolError

    tool_ctx.policies = {DEMO_NAME: ConnectionPolicy(model_rows=3)}
    with pytest.raises(ToolError) as info:
        run_query(RunQueryInput(sql="SELECT id FROM clientes ORDER BY id", offset=3), tool_ctx)
    assert "sem paginar" in info.value.message
