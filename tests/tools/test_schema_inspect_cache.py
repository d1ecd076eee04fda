"""The schema cache: hits run no SQL, TTL expiry, refresh, clear, per-filter keys, thread safety."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event

from tools.context import ToolContext, ValueIndexLimits
from tools.db.connect import get_engine, resolve_connection
from tools.schema_inspect import InspectSchemaInput, clear_schema_cache, inspect_schema
from tools.schema_inspect.cache import schema_cache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(demo_sqlite: Path) -> str:
    return f"sqlite:///{demo_sqlite}"


@pytest.fixture
def statements(tool_ctx: ToolContext, url: str) -> Iterator[list[str]]:
    """Every SQL statement sent through the connection's engine."""
    seen: list[str] = []
    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, url))

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def clock(tool_ctx: ToolContext) -> Clock:
    fake = Clock()
    schema_cache(tool_ctx).clock = fake
    return fake


def test_cache_hit_returns_same_object_without_sql(tool_ctx: ToolContext, url: str, statements: list[str]) -> None:
    first = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    assert statements, "the first call must read the database"
    statements.clear()
    second = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    assert second is first
    assert statements == []


def test_question_reuses_cached_tables(tool_ctx: ToolContext, url: str, statements: list[str]) -> None:
    tool_ctx.schema_prompt_budget = 800
    tool_ctx.value_index = ValueIndexLimits(enabled=False)  # its own reads are tested in test_values.py
    base = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    statements.clear()
    asked = inspect_schema(InspectSchemaInput(connection=url, question="pagamentos por pix"), tool_ctx)
    assert statements == []
    assert asked.tables is base.tables
    assert asked.compact != base.compact
    assert "TABLE pagamentos" in asked.compact
    assert inspect_schema(InspectSchemaInput(connection=url), tool_ctx) is base  # the cached entry is untouched


def test_question_prompt_is_rendered_once_per_cached_schema(tool_ctx: ToolContext, url: str) -> None:
    tool_ctx.value_index = ValueIndexLimits(enabled=False)
    ask = InspectSchemaInput(connection=url, question="pagamentos por pix", budget=900)
    first = inspect_schema(ask, tool_ctx)
    assert inspect_schema(ask, tool_ctx) is first  # the same call again: no second ranking
    other_budget = inspect_schema(InspectSchemaInput(connection=url, question="pagamentos por pix"), tool_ctx)
    assert other_budget is not first and other_budget.compact != first.compact
    other_question = inspect_schema(InspectSchemaInput(connection=url, question="tickets", budget=900), tool_ctx)
    assert other_question.compact != first.compact
    inspect_schema(InspectSchemaInput(connection=url, refresh=True), tool_ctx)  # a new schema: rendered again
    again = inspect_schema(ask, tool_ctx)
    assert again is not first and again.compact == first.compact


def test_ttl_expiry(tool_ctx: ToolContext, url: str, statements: list[str], clock: Clock) -> None:
    tool_ctx.schema_cache_ttl_s = 60
    first = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    clock.now += 59
    assert inspect_schema(InspectSchemaInput(connection=url), tool_ctx) is first
    statements.clear()
    clock.now += 2
    again = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    assert again is not first
    assert statements
    assert again.model_dump() == first.model_dump()


def test_refresh_bypasses_and_replaces(tool_ctx: ToolContext, url: str, statements: list[str], clock: Clock) -> None:
    first = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    statements.clear()
    fresh = inspect_schema(InspectSchemaInput(connection=url, refresh=True), tool_ctx)
    assert fresh is not first
    assert statements
    statements.clear()
    assert inspect_schema(InspectSchemaInput(connection=url), tool_ctx) is fresh
    assert statements == []


def test_zero_ttl_disables_cache(tool_ctx: ToolContext, url: str, statements: list[str]) -> None:
    tool_ctx.schema_cache_ttl_s = 0
    first = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    statements.clear()
    assert inspect_schema(InspectSchemaInput(connection=url), tool_ctx) is not first
    assert statements


def test_filters_have_their_own_entries(tool_ctx: ToolContext, url: str) -> None:
    everything = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    some = inspect_schema(InspectSchemaInput(connection=url, tables=["clientes"]), tool_ctx)
    assert some is not everything
    assert [t.name for t in some.tables] == ["clientes"]
    same_filter = inspect_schema(InspectSchemaInput(connection=url, tables=["CLIENTES "]), tool_ctx)
    assert same_filter is some


def test_clear_schema_cache(tool_ctx: ToolContext, url: str, statements: list[str]) -> None:
    first = inspect_schema(InspectSchemaInput(connection=url), tool_ctx)
    demo = inspect_schema(InspectSchemaInput(), tool_ctx)
    assert clear_schema_cache(tool_ctx, url) == 1
    assert inspect_schema(InspectSchemaInput(), tool_ctx) is demo  # other connections keep theirs
    statements.clear()
    assert inspect_schema(InspectSchemaInput(connection=url), tool_ctx) is not first
    assert statements
    assert clear_schema_cache(tool_ctx) == 2


def test_concurrent_cold_calls_inspect_once(tool_ctx: ToolContext, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.schema_inspect.tool as tool_module

    calls: list[int] = []
    real_reflect = tool_module.reflect

    def counting_reflect(*args, **kwargs):
        calls.append(1)
        return real_reflect(*args, **kwargs)

    monkeypatch.setattr(tool_module, "reflect", counting_reflect)
    params = InspectSchemaInput(connection=url)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: inspect_schema(params, tool_ctx), range(8)))
    assert len(calls) == 1
    assert all(r is results[0] for r in results)
