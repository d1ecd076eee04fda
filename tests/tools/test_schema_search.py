"""search_schema: names-first, paged discovery over the cached reflection (demo SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from tests.tools.schema_util import DEMO_TABLES
from tools.context import ToolContext
from tools.errors import UnknownConnectionError
from tools.registry import get_tool
from tools.schema_inspect.search import search_schema
from tools.schema_inspect.search_models import SchemaSearchResult, SearchSchemaInput


def search(ctx: ToolContext, **arguments: object) -> SchemaSearchResult:
    return search_schema(SearchSchemaInput.model_validate(arguments), ctx)


def names(result: SchemaSearchResult) -> list[str]:
    return [item.name for item in result.items]


def test_pages_cover_every_table_exactly_once(tool_ctx: ToolContext) -> None:
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = search(tool_ctx, limit=4, offset=offset)
        assert page.total == len(DEMO_TABLES) and page.offset == offset and len(page.items) <= 4
        seen += names(page)
        offset = page.next_offset
        pages += 1
        if offset is not None:
            assert f"offset={offset}" in page.to_text()
    assert pages == 3 and sorted(seen) == sorted(DEMO_TABLES) and len(seen) == len(set(seen))


def test_text_and_structured_carry_the_same_page(tool_ctx: ToolContext) -> None:
    result = search(tool_ctx, limit=5, detail="summary")
    structured = get_tool("search_schema").structured(result)
    assert [item["name"] for item in structured["items"]] == names(result)
    assert "text" not in structured
    for item in result.items:
        assert item.name in result.to_text() and item.columns
        assert ", ".join(item.columns)[:40] in result.to_text()


def test_glob_and_plain_text_patterns(tool_ctx: ToolContext) -> None:
    assert names(search(tool_ctx, pattern="PED*")) == ["pedidos"]
    assert names(search(tool_ctx, pattern="pedido")) == ["itens_pedido", "pedidos"]
    assert search(tool_ctx, pattern="nada_assim").items == []
    assert "nenhum objeto" in search(tool_ctx, pattern="nada_assim").to_text()


def test_columns_by_pattern_and_by_table_dot_column(tool_ctx: ToolContext) -> None:
    columns = search(tool_ctx, kinds=["column"], pattern="*uf*")
    assert {(i.table, i.name) for i in columns.items} == {("clientes", "uf"), ("pedidos", "uf_entrega")}
    assert "clientes.uf" in columns.to_text()
    one = search(tool_ctx, kinds=["column"], pattern="pedidos.status", detail="full")
    assert [(i.table, i.name) for i in one.items] == [("pedidos", "status")]
    assert one.items[0].type and "valores:" in (one.items[0].ddl or "")


def test_question_ranks_and_drops_unrelated(tool_ctx: ToolContext) -> None:
    result = search(tool_ctx, question="quantos pedidos atrasados temos em SP?", limit=3)
    assert result.items[0].name == "pedidos"
    assert result.total < len(DEMO_TABLES)  # unrelated tables are left out
    nothing = search(tool_ctx, question="zzz qwerty")
    assert nothing.total == len(DEMO_TABLES)  # nothing relevant: every table, in name order
    columns = search(tool_ctx, kinds=["column"], question="status do pedido", limit=1)
    assert (columns.items[0].table, columns.items[0].name) == ("pedidos", "status")


def test_full_detail_is_the_ddl_and_budget_ends_the_page_early(tool_ctx: ToolContext) -> None:
    full = search(tool_ctx, pattern="pedidos", detail="full")
    assert full.items[0].ddl and full.items[0].ddl.startswith("TABLE pedidos") and "FK cliente_id" in full.items[0].ddl
    small = search(tool_ctx, detail="full", budget=900)
    assert len(small.to_text()) <= 900
    assert 1 <= len(small.items) < len(DEMO_TABLES) and small.next_offset == len(small.items)
    rest = search(tool_ctx, detail="full", budget=900, offset=small.next_offset)
    assert set(names(rest)).isdisjoint(names(small))


def test_views_and_kinds(tool_ctx: ToolContext, tmp_path) -> None:
    import sqlite3

    path = tmp_path / "v.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE vendas (id INTEGER PRIMARY KEY, uf TEXT)")
        db.execute("CREATE VIEW vendas_sp AS SELECT * FROM vendas WHERE uf = 'SP'")
    url = f"sqlite:///{path}"
    assert [(i.kind, i.name) for i in search(tool_ctx, connection=url).items] == [
        ("table", "vendas"),
        ("view", "vendas_sp"),
    ]
    assert names(search(tool_ctx, connection=url, kinds=["view"])) == ["vendas_sp"]
    assert "vendas_sp (view)" in search(tool_ctx, connection=url).to_text()


def test_schemas_on_postgres(tool_ctx: ToolContext, demo_pg_url: str) -> None:
    result = search(tool_ctx, connection=demo_pg_url, kinds=["schema"])
    assert "public" in names(result)
    assert not {"pg_catalog", "information_schema", "pg_toast"} & set(names(result))


def test_unknown_connection_is_a_typed_error(tool_ctx: ToolContext) -> None:
    tool_ctx.allowed_connections = ("demo",)
    with pytest.raises(UnknownConnectionError):
        search(tool_ctx, connection="outra")


def test_input_schema_is_documented_in_english() -> None:
    schema = SearchSchemaInput.model_json_schema()
    assert set(schema["properties"]) == {
        "connection", "kinds", "pattern", "question", "schema", "detail", "limit", "offset", "budget", "refresh"
    }  # fmt: skip
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert "ã" not in json.dumps(schema, ensure_ascii=False)  # model-facing docs in English
