"""inspect_schema on the demo SQLite database and on small SQLite schemas built in tmp_path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.tools.schema_util import DEMO_TABLES, table_named
from tools.context import ToolContext
from tools.errors import ConnectionFailedError, InvalidInputError, UnknownConnectionError
from tools.schema_inspect import InspectSchemaInput, SchemaResult, inspect_schema, render_prompt


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


@pytest.fixture
def demo(tool_ctx: ToolContext, demo_sqlite: Path) -> SchemaResult:
    return inspect_schema(InspectSchemaInput(connection=f"sqlite:///{demo_sqlite}"), tool_ctx)


def test_demo_tables_columns_and_keys(demo: SchemaResult) -> None:
    assert demo.dialect == "sqlite"
    assert {t.name for t in demo.tables} == DEMO_TABLES
    pedidos = table_named(demo, "pedidos")
    assert pedidos.kind == "table"
    assert pedidos.primary_key == ["id"]
    columns = {c.name: c for c in pedidos.columns}
    assert {"id", "cliente_id", "status", "valor_total"} <= set(columns)
    assert columns["status"].nullable is False
    assert "NUMERIC" in columns["valor_total"].type.upper()
    fk = next(fk for fk in pedidos.foreign_keys if fk.columns == ["cliente_id"])
    assert (fk.referred_table, fk.referred_columns) == ("clientes", ["id"])
    assert any(ix.columns == ["status"] for ix in pedidos.indexes)
    assert any(ix.unique and ix.columns == ["cpf"] for ix in table_named(demo, "clientes").indexes)


def test_demo_samples_show_real_spelling(demo: SchemaResult, demo_sqlite: Path) -> None:
    uf = next(c for c in table_named(demo, "clientes").columns if c.name == "uf")
    assert 1 <= len(uf.samples) <= 5
    assert "SP" in uf.samples
    assert uf.more_values  # 27 states exist, 5 shown
    with sqlite3.connect(demo_sqlite) as db:
        statuses = {r[0] for r in db.execute("SELECT DISTINCT status FROM entregas")}
    entrega_status = next(c for c in table_named(demo, "entregas").columns if c.name == "status")
    assert entrega_status.samples and set(entrega_status.samples) <= statuses
    # high-cardinality and code-like text columns get no samples
    clientes = {c.name: c for c in table_named(demo, "clientes").columns}
    assert clientes["email"].samples == []
    assert clientes["cpf"].samples == []
    # ... and the compact text shows them
    assert "SP" in demo.compact and "valores:" in demo.compact


def test_demo_row_counts_match(demo: SchemaResult, demo_sqlite: Path) -> None:
    for table in demo.tables:
        assert table.row_count == _count(demo_sqlite, table.name), table.name


def test_compact_format(demo: SchemaResult) -> None:
    text = demo.to_text()
    assert text == demo.compact
    assert text.startswith("-- dialect: sqlite")
    assert "TABLE clientes (~" in text
    assert "  id INTEGER PK" in text
    assert "  FK cliente_id -> clientes.id" in text
    assert len(text) <= 6000  # the context's default budget
    assert demo.truncated_tables == []


def test_table_filter_exact_case_insensitive_and_glob(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    url = f"sqlite:///{demo_sqlite}"
    result = inspect_schema(InspectSchemaInput(connection=url, tables=["CLIENTES", "ped*"]), tool_ctx)
    assert [t.name for t in result.tables] == ["clientes", "pedidos"]
    assert "TABLE produtos" not in result.compact


def test_table_filter_partly_missing_is_reported(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    params = InspectSchemaInput(connection=f"sqlite:///{demo_sqlite}", tables=["clientes", "fornecedores"])
    result = inspect_schema(params, tool_ctx)
    assert [t.name for t in result.tables] == ["clientes"]
    assert result.not_found == ["fornecedores"]
    assert "fornecedores" in result.compact


def test_table_filter_matching_nothing_lists_existing_tables(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    params = InspectSchemaInput(connection=f"sqlite:///{demo_sqlite}", tables=["fornecedores"])
    with pytest.raises(InvalidInputError) as info:
        inspect_schema(params, tool_ctx)
    assert "fornecedores" in info.value.message
    assert "clientes" in info.value.message


def test_default_connection_is_demo(tool_ctx: ToolContext) -> None:
    result = inspect_schema(InspectSchemaInput(), tool_ctx)
    assert result.connection == "demo"
    assert {t.name for t in result.tables} == DEMO_TABLES


def test_unknown_connection(tool_ctx: ToolContext) -> None:
    with pytest.raises(UnknownConnectionError):
        inspect_schema(InspectSchemaInput(connection="nao_existe"), tool_ctx)


def test_unreachable_database_masks_password(tool_ctx: ToolContext) -> None:
    params = InspectSchemaInput(connection="postgresql://vozbd:segredo123@127.0.0.1:1/nada")
    with pytest.raises(ConnectionFailedError) as info:
        inspect_schema(params, tool_ctx)
    assert "segredo123" not in info.value.message
    assert "segredo123" not in str(info.value.to_dict())


def test_views_and_empty_tables(tool_ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "loja.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE lojas (id INTEGER PRIMARY KEY, nome TEXT NOT NULL, uf TEXT DEFAULT 'SP');
            CREATE TABLE vendas (
                id INTEGER PRIMARY KEY, loja_id INTEGER NOT NULL REFERENCES lojas(id),
                mes TEXT NOT NULL, valor REAL
            );
            CREATE TABLE vazia (a TEXT, b TEXT, PRIMARY KEY (a, b));
            CREATE VIEW vendas_por_loja AS SELECT loja_id, sum(valor) AS total FROM vendas GROUP BY loja_id;
            INSERT INTO lojas (nome, uf) VALUES ('Centro', 'SP'), ('Praia', 'RJ'), ('Serra', 'SP');
            """
        )
    result = inspect_schema(InspectSchemaInput(connection=f"sqlite:///{path}"), tool_ctx)
    view = next(t for t in result.tables if t.name == "vendas_por_loja")
    assert view.kind == "view" and view.row_count is None
    assert [c.name for c in view.columns] == ["loja_id", "total"]
    assert "VIEW vendas_por_loja" in result.compact
    lojas = next(t for t in result.tables if t.name == "lojas")
    assert lojas.row_count == 3
    assert next(c for c in lojas.columns if c.name == "uf").default == "'SP'"
    assert next(c for c in lojas.columns if c.name == "uf").samples == ["SP", "RJ"]
    vazia = next(t for t in result.tables if t.name == "vazia")
    assert vazia.row_count == 0 and vazia.primary_key == ["a", "b"]
    assert "PK (a, b)" in result.compact


def test_render_prompt_accepts_result_or_tables(demo: SchemaResult) -> None:
    text = render_prompt(demo, "quantos clientes de SP?", 1200)
    assert len(text) <= 1200
    assert text.startswith("-- dialect: sqlite")
    bare = render_prompt(demo.tables, "quantos clientes de SP?", 1200)
    assert len(bare) <= 1200 and "TABLE clientes" in bare


def test_input_model_is_a_tool_schema() -> None:
    schema = InspectSchemaInput.model_json_schema()
    assert set(schema["properties"]) == {"connection", "tables", "schema", "question", "budget", "refresh"}
    assert all(p.get("description") for p in schema["properties"].values())
    assert InspectSchemaInput(schema="vendas").schema == "vendas"
    assert InspectSchemaInput.model_validate({"schema": "x"}).schema == "x"


def test_unknown_schema_is_invalid_input(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    params = InspectSchemaInput(connection=f"sqlite:///{demo_sqlite}", schema="vendas")
    with pytest.raises(InvalidInputError) as info:
        inspect_schema(params, tool_ctx)
    assert "vendas" in info.value.message and "main" in info.value.message


def test_empty_database(tool_ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "vazio.sqlite"
    sqlite3.connect(path).close()
    result = inspect_schema(InspectSchemaInput(connection=f"sqlite:///{path}"), tool_ctx)
    assert result.tables == []
    assert "nenhuma tabela" in result.compact


def test_sqlite_stat1_estimates_are_used(tool_ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "stats.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE eventos (id INTEGER PRIMARY KEY, tipo TEXT)")
        db.execute("CREATE INDEX ix_eventos_tipo ON eventos (tipo)")
        db.executemany("INSERT INTO eventos (tipo) VALUES (?)", [("a",)] * 50)
        db.execute("ANALYZE")
        db.execute("UPDATE sqlite_stat1 SET stat = '999 10' WHERE tbl = 'eventos'")
    result = inspect_schema(InspectSchemaInput(connection=f"sqlite:///{path}"), tool_ctx)
    assert result.tables[0].row_count == 999  # the planner's statistic, not count(*)
