"""Token-lean MCP answers on a generated 200-table PostgreSQL schema (in-memory client/server, real database).

structuredContent never carries what the text left out; the default schema call stays ≤ 32 KB in all and a
one-table lookup ≤ 2 KB (the same numbers ``bench/mcp.py`` prints).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import CallToolResult
from sqlalchemy import create_engine

from bench.wide_schema import NEEDLE, create_wide_schema
from mcp_server.server import build_server
from tests.conftest import _pg_database
from tests.mcp_server.conftest import make_settings
from tests.mcp_server.helpers import text_of
from tools.db.connect import dispose_engines
from vozbd.wiring import build_tool_context, mcp_config

DEFAULT_CALL_LIMIT = 32 * 1024
LOOKUP_LIMIT = 2 * 1024


@pytest.fixture(scope="module")
def wide_pg_url() -> Iterator[str]:
    for url in _pg_database():
        engine = create_engine(url)
        try:
            create_wide_schema(engine, 200)
        finally:
            engine.dispose()
        yield url


def size(result: CallToolResult) -> int:
    assert not result.isError, text_of(result)
    structured = json.dumps(result.structuredContent, ensure_ascii=False, separators=(",", ":"))
    return len(text_of(result).encode()) + len(structured.encode())


async def test_default_schema_call_and_one_table_lookup(wide_pg_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    ctx = build_tool_context(settings)
    ctx.registry.add("erp", wide_pg_url)
    try:
        async with create_connected_server_and_client_session(build_server(mcp_config(settings), ctx)) as session:
            schema = await session.call_tool("inspect_schema", {"connection": "erp"})
            asked = await session.call_tool(
                "inspect_schema", {"connection": "erp", "question": "notas fiscais de devolução por cliente"}
            )
            found = await session.call_tool(
                "search_schema",
                {"connection": "erp", "question": "notas fiscais de devolução", "limit": 5, "detail": "summary"},
            )
            described = await session.call_tool("inspect_schema", {"connection": "erp", "tables": [NEEDLE]})
            names: list[str] = []
            offset: int | None = 0
            while offset is not None:
                page = await session.call_tool("search_schema", {"connection": "erp", "offset": offset, "limit": 80})
                names += [item["name"] for item in page.structuredContent["items"]]  # type: ignore[index]  # structuredContent is a dict for these tools (typed as optional)
                offset = page.structuredContent.get("next_offset")  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
            rows = await session.call_tool("run_query", {"connection": "erp", "sql": f"SELECT * FROM {NEEDLE}"})
    finally:
        dispose_engines(ctx)

    assert size(schema) <= DEFAULT_CALL_LIMIT
    structured = schema.structuredContent or {}
    text = text_of(schema)
    assert structured["omitted_count"] > 100
    assert size(asked) <= DEFAULT_CALL_LIMIT
    for result in (schema, asked):  # every table and column in structuredContent is shown in the text
        shown = text_of(result)
        for table in result.structuredContent["tables"]:  # type: ignore[index]  # structuredContent is a dict for these tools (typed as optional)
            assert f"TABLE {table['name']}" in shown
            block = shown.split(f"TABLE {table['name']}", 1)[1].split("\n\n", 1)[0]
            for column in table["columns"]:
                assert column["name"] in block, (table["name"], column["name"])
            if "\n" not in block:  # a one-line outline: its structured twin has no indexes, comments or samples
                assert not {"indexes", "comment"} & set(table), table["name"]
                assert not any("samples" in column for column in table["columns"]), table["name"]
    for name in structured["truncated_tables"]:
        assert name in text

    assert size(found) <= LOOKUP_LIMIT
    assert found.structuredContent["items"][0]["name"] == NEEDLE  # type: ignore[index]  # structuredContent is a dict for these tools (typed as optional)
    assert size(described) <= LOOKUP_LIMIT + 512 and f"TABLE {NEEDLE}" in text_of(described)

    assert len(names) == len(set(names)) == 200  # paging reaches every table name
    assert len(rows.structuredContent["rows"]) == 3  # type: ignore[index]  # structuredContent is a dict for these tools (typed as optional)
