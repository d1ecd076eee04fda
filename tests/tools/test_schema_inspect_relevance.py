"""Relevance (pt-BR questions over Portuguese- and English-named schemas) and the prompt budget."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tools.context import ToolContext
from tools.schema_inspect import InspectSchemaInput, SchemaResult, TableInfo, inspect_schema, render_prompt
from tools.schema_inspect.relevance import rank_tables
from tools.schema_inspect.render import render
from tools.schema_inspect.text import split_identifier, stem

ENGLISH_DDL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT, city TEXT, state TEXT,
    segment TEXT, created_at DATE);
CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT NOT NULL, team TEXT, hired_at DATE);
CREATE TABLE carriers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, sku TEXT, price NUMERIC(10,2),
    category_id INTEGER REFERENCES categories(id), stock INTEGER);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
    ordered_at DATE, status TEXT, total_amount NUMERIC(12,2));
CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id),
    product_id INTEGER REFERENCES products(id), quantity INTEGER, unit_price NUMERIC(10,2));
CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id),
    carrier_id INTEGER REFERENCES carriers(id), status TEXT, shipped_at DATE, expected_at DATE, delivered_at DATE);
CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id), method TEXT,
    amount NUMERIC(12,2), paid_at DATE);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id), number TEXT, issued_at DATE,
    total NUMERIC(12,2));
CREATE TABLE support_tickets (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
    employee_id INTEGER REFERENCES employees(id), subject TEXT, priority TEXT, status TEXT, opened_at DATE);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, actor TEXT, action TEXT, happened_at DATE);
CREATE TABLE app_settings (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE feature_flags (id INTEGER PRIMARY KEY, flag TEXT, enabled INTEGER);
"""


def _fill_english(db: sqlite3.Connection) -> None:
    states = ["SP", "RJ", "MG", "SP", "BA", "PR", "SP"]
    cities = ["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Campinas", "Salvador", "Curitiba", "Santos"]
    for i in range(1, 41):
        db.execute(
            "INSERT INTO customers (full_name, email, city, state, segment) VALUES (?, ?, ?, ?, ?)",
            (f"Customer {i}", f"c{i}@example.com", cities[i % 7], states[i % 7], ["retail", "premium"][i % 2]),
        )
        db.execute(
            "INSERT INTO orders (customer_id, status, total_amount) VALUES (?, ?, ?)",
            (i, ["paid", "shipped", "delivered", "canceled"][i % 4], 10.0 * i),
        )
        db.execute(
            "INSERT INTO shipments (order_id, carrier_id, status) VALUES (?, 1, ?)",
            (i, ["delivered", "late", "in_transit"][i % 3]),
        )
        db.execute(
            "INSERT INTO payments (order_id, method, amount) VALUES (?, ?, ?)",
            (i, ["credit_card", "pix", "boleto"][i % 3], 10.0 * i),
        )
    for i in range(1, 4):
        db.execute("INSERT INTO employees (name, team) VALUES (?, ?)", (f"Agent {i}", "support"))
    db.execute("INSERT INTO carriers (name) VALUES ('FastShip'), ('Correios')")


@pytest.fixture(scope="module")
def english_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("english") / "shop.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(ENGLISH_DDL)
        _fill_english(db)
    return path


@pytest.fixture
def english(tool_ctx: ToolContext, english_db: Path) -> SchemaResult:
    return inspect_schema(InspectSchemaInput(connection=f"sqlite:///{english_db}"), tool_ctx)


@pytest.fixture
def portuguese(tool_ctx: ToolContext, demo_sqlite: Path) -> SchemaResult:
    return inspect_schema(InspectSchemaInput(connection=f"sqlite:///{demo_sqlite}"), tool_ctx)


def _ranking(tables: list[TableInfo], question: str) -> list[str]:
    return [t.name for t, score in rank_tables(tables, question) if score > 0]


def _rendered_tables(text: str) -> list[str]:
    return re.findall(r"^(?:TABLE|VIEW) (\S+)", text, flags=re.MULTILINE)


# --- words ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("clientes", "cliente"),
        ("Pedidos", "pedido"),
        ("atrasados", "atrasada"),
        ("notas", "nota"),
        ("fiscais", "fiscal"),
        ("itens", "item"),
        ("items", "item"),
        ("fornecedores", "fornecedor"),
        ("transações", "transacao"),
        ("categories", "category"),
        ("deliveries", "delivery"),
        ("orders", "order"),
        ("status", "status"),
    ],
)
def test_stem_relates_singular_and_plural(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_stem_keeps_different_words_apart() -> None:
    assert stem("pedido") != stem("produto")
    assert stem("cliente") != stem("categoria")


def test_split_identifier() -> None:
    assert split_identifier("orderItems") == ["order", "items"]
    assert split_identifier("OrderItems") == ["order", "items"]
    assert split_identifier("itens_pedido") == ["itens", "pedido"]
    assert split_identifier("HTTPRequestLog") == ["http", "request", "log"]
    assert split_identifier("Situação") == ["situacao"]


# --- ranking -------------------------------------------------------------------------------
def test_clientes_de_sp_portuguese(portuguese: SchemaResult) -> None:
    assert _ranking(portuguese.tables, "quantos clientes de SP?")[0] == "clientes"


def test_clientes_de_sp_english(english: SchemaResult) -> None:
    ranking = _ranking(english.tables, "quantos clientes de SP?")
    assert ranking[0] == "customers"
    assert "app_settings" not in ranking and "feature_flags" not in ranking


def test_sample_values_boost_tables(english: SchemaResult) -> None:
    # "pix" is only a sample value of payments.method
    assert _ranking(english.tables, "quanto foi pago via pix?")[0] == "payments"
    assert _ranking(english.tables, "qual o valor total recebido por pix")[0] == "payments"


@pytest.mark.parametrize(
    ("question", "expected_first", "schema"),
    [
        ("notas fiscais emitidas em junho", "invoices", "english"),
        ("notas fiscais emitidas em junho", "notas_fiscais", "portuguese"),
        ("quais produtos estão sem estoque?", "products", "english"),
        ("quais produtos estão sem estoque?", "produtos", "portuguese"),
        ("quantos chamados abertos cada atendente tem?", "support_tickets", "english"),
        ("quantos chamados abertos cada atendente tem?", "chamados", "portuguese"),
    ],
)
def test_first_table(question: str, expected_first: str, schema: str, request: pytest.FixtureRequest) -> None:
    result: SchemaResult = request.getfixturevalue(schema)
    assert _ranking(result.tables, question)[0] == expected_first


@pytest.mark.parametrize(
    ("question", "expected_top", "schema"),
    [
        ("qual transportadora entrega mais rápido?", {"carriers", "shipments"}, "english"),
        ("qual transportadora entrega mais rápido?", {"transportadoras", "entregas"}, "portuguese"),
        ("faturamento por categoria de produto", {"categories", "products", "order_items"}, "english"),
        ("faturamento por categoria de produto", {"categorias", "produtos", "itens_pedido"}, "portuguese"),
    ],
)
def test_top_tables(question: str, expected_top: set[str], schema: str, request: pytest.FixtureRequest) -> None:
    result: SchemaResult = request.getfixturevalue(schema)
    assert set(_ranking(result.tables, question)[: len(expected_top)]) == expected_top


def test_chamados_por_atendente_english_keeps_employees(english: SchemaResult) -> None:
    top = _ranking(english.tables, "quantos chamados abertos cada atendente tem?")[:2]
    assert set(top) == {"support_tickets", "employees"}


def test_pedidos_atrasados_keeps_orders_and_shipments(english: SchemaResult, portuguese: SchemaResult) -> None:
    question = "pedidos atrasados em São Paulo"
    text, omitted = render(english.tables, question, 900, "sqlite")
    kept = _rendered_tables(text)
    assert kept[0] == "orders"
    assert "shipments" in kept
    assert set(kept).isdisjoint(omitted)
    assert "app_settings" in omitted
    text_pt, _ = render(portuguese.tables, question, 1600, "sqlite")
    kept_pt = _rendered_tables(text_pt)
    assert kept_pt[0] == "pedidos" and "entregas" in kept_pt


def test_camel_case_singular_schema(tool_ctx: ToolContext, tmp_path: Path) -> None:
    path = tmp_path / "camel.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE "Customer" ("Id" INTEGER PRIMARY KEY, "FullName" TEXT, "HomeState" TEXT);
            CREATE TABLE "SalesOrder" ("Id" INTEGER PRIMARY KEY, "CustomerId" INTEGER REFERENCES "Customer"("Id"));
            CREATE TABLE "OrderItem" ("Id" INTEGER PRIMARY KEY, "SalesOrderId" INTEGER REFERENCES "SalesOrder"("Id"));
            CREATE TABLE "Warehouse" ("Id" INTEGER PRIMARY KEY, "Name" TEXT);
            """
        )
    result = inspect_schema(InspectSchemaInput(connection=f"sqlite:///{path}"), tool_ctx)
    assert _ranking(result.tables, "quantos clientes temos por estado?")[0] == "Customer"
    assert _ranking(result.tables, "itens do pedido 10")[0] == "OrderItem"
    assert _ranking(result.tables, "o que temos no estoque do armazém?")[0] == "Warehouse"


def test_no_question_scores_nothing(english: SchemaResult) -> None:
    assert _ranking(english.tables, "") == []
    assert _ranking(english.tables, "quantos? de que?") == []


# --- budget --------------------------------------------------------------------------------
@pytest.mark.parametrize("budget", [300, 700, 1000, 1500, 2500, 4000])
@pytest.mark.parametrize("question", [None, "quantos clientes de SP?", "pedidos atrasados"])
def test_budget_is_respected(english: SchemaResult, budget: int, question: str | None) -> None:
    text = render_prompt(english, question, budget)
    assert len(text) <= budget
    assert text.startswith("-- dialect: sqlite")


def test_budget_keeps_fk_partners_of_top_table(english: SchemaResult) -> None:
    question = "quantos pedidos foram cancelados?"
    assert _ranking(english.tables, question)[0] == "orders"
    text, omitted = render(english.tables, question, 2200, "sqlite")
    kept = _rendered_tables(text)
    assert kept[0] == "orders"
    partners = {"customers", "order_items", "shipments", "payments", "invoices"}
    assert partners <= set(kept), kept
    assert len(text) <= 2200
    # the partners come before unrelated tables, and are shown in more detail than them
    assert max(kept.index(p) for p in partners) < kept.index("feature_flags")
    tight, omitted = render(english.tables, question, 1100, "sqlite")
    assert omitted and "feature_flags" in omitted and partners <= set(_rendered_tables(tight))


def test_omitted_tables_are_listed_in_one_line(english: SchemaResult) -> None:
    text, omitted = render(english.tables, "quantos clientes de SP?", 900, "sqlite")
    assert omitted
    lines = [line for line in text.splitlines() if line.startswith("-- outras")]
    assert len(lines) == 1
    assert all(name in lines[0] for name in omitted[:3])
    assert set(_rendered_tables(text)) | set(omitted) == {t.name for t in english.tables}


def test_everything_fits_in_a_big_budget(english: SchemaResult) -> None:
    text, omitted = render(english.tables, "pedidos", 100_000, "sqlite")
    assert omitted == []
    assert set(_rendered_tables(text)) == {t.name for t in english.tables}
    assert "-- outras" not in text


def test_tool_compact_follows_question_and_context_budget(tool_ctx: ToolContext, english_db: Path) -> None:
    tool_ctx.schema_prompt_budget = 900
    result = inspect_schema(
        InspectSchemaInput(connection=f"sqlite:///{english_db}", question="quantos clientes de SP?"), tool_ctx
    )
    assert len(result.compact) <= 900
    assert _rendered_tables(result.compact)[0] == "customers"
    assert result.truncated_tables and "customers" not in result.truncated_tables
    assert len(result.tables) == 14  # structured output always has every table


def test_huge_single_table_is_cut_not_dropped() -> None:
    from tools.schema_inspect import ColumnInfo

    wide = TableInfo(name="wide", columns=[ColumnInfo(name=f"col_{i}", type="TEXT") for i in range(300)])
    small = TableInfo(name="small", columns=[ColumnInfo(name="id", type="INTEGER")])
    text, omitted = render([wide, small], "wide", 1000)
    assert len(text) <= 1000
    assert text.startswith("TABLE wide")
    assert "-- +300 colunas omitidas: col_0, col_1" in text  # pruned: its columns listed by name
    assert omitted == [] and "TABLE small" in text  # the small table still fits after the cut one


def test_wide_tables_are_pruned_to_keys_joins_and_asked_columns_when_short_of_room() -> None:
    from tools.schema_inspect import ColumnInfo, ForeignKeyInfo

    columns = ["id", "cliente_id", "preco", "desconto", *(f"campo_extra_{i}" for i in range(20))]
    wide = TableInfo(
        name="vendas",
        columns=[ColumnInfo(name=c, type="TEXT") for c in columns],
        primary_key=["id"],
        foreign_keys=[ForeignKeyInfo(columns=["cliente_id"], referred_table="clientes", referred_columns=["id"])],
    )
    clientes = TableInfo(
        name="clientes", columns=[ColumnInfo(name="id", type="INTEGER"), ColumnInfo(name="nome", type="TEXT")]
    )
    text, omitted = render([wide, clientes], "qual o preço médio das vendas por cliente?", 500)
    assert omitted == [] and len(text) <= 500
    assert "  preco TEXT" in text and "  id TEXT" in text and "  cliente_id TEXT" in text
    assert "  desconto TEXT" not in text and "-- +21 colunas omitidas: desconto, campo_extra_0" in text
    assert "TABLE clientes" in text
    roomy, _ = render([wide, clientes], "qual o preço médio das vendas por cliente?", 5000)
    assert "  desconto TEXT" in roomy and "omitidas" not in roomy


def test_a_huge_block_is_cut_line_by_line_when_even_pruned_it_does_not_fit() -> None:
    from tools.schema_inspect import ColumnInfo

    wide = TableInfo(name="wide", columns=[ColumnInfo(name=f"col_{i}", type="TEXT") for i in range(300)])
    text, omitted = render([wide], "col", 600)
    assert len(text) <= 600 and text.startswith("TABLE wide") and "linhas)" in text and omitted == []


def test_a_table_too_big_for_the_rest_is_skipped_not_the_smaller_ones() -> None:
    from tools.schema_inspect import ColumnInfo

    top = TableInfo(name="pedidos", columns=[ColumnInfo(name="id", type="INTEGER")])
    # every column is part of the primary key, so pruning cannot shrink it
    names = [f"campo_{i}" for i in range(80)]
    big = TableInfo(name="pedidos_log", columns=[ColumnInfo(name=n, type="TEXT") for n in names], primary_key=names)
    small = TableInfo(name="pedidos_status", columns=[ColumnInfo(name="nome", type="TEXT")])
    text, omitted = render([top, big, small], "pedidos", 600)
    assert len(text) <= 600
    assert _rendered_tables(text) == ["pedidos", "pedidos_status"]
    assert omitted == ["pedidos_log"]
    assert "pedidos_log" in text.splitlines()[-1]
