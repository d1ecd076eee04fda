"""Per-connection policy enforced in tools/: denied columns unreadable by any route, masked values never leave.

Real databases: the demo in SQLite (every route) and in PostgreSQL/MariaDB (catalog routes, error scrubbing).
Policy on the demo: ``clientes.cpf`` denied, ``email``/``telefone`` masked, ``atendentes`` denied.
"""

from __future__ import annotations

import json

import pytest

from tools.context import ToolContext
from tools.db.registry import DEMO_NAME
from tools.errors import UnsafeQueryError
from tools.policy import MASK, ConnectionPolicy
from tools.registry import get_tool
from tools.safe_query import QueryResult, RunQueryInput, run_query
from tools.safe_query.explain import ExplainQueryInput, explain_query
from tools.schema_inspect import InspectSchemaInput, inspect_schema
from tools.schema_inspect.search import search_schema
from tools.schema_inspect.search_models import SearchSchemaInput

POLICY = ConnectionPolicy(
    denied_columns=["clientes.cpf"],
    masked_columns=["*.email", "telefone"],
    denied_tables=["atendentes"],
    max_rows=50,
)
CPF = "cpf"

DENIED_ROUTES = [
    "SELECT cpf FROM clientes",
    "SELECT * FROM clientes",
    "SELECT c.* FROM clientes c",
    "SELECT c.cpf AS documento FROM clientes AS c",
    "SELECT x.doc FROM (SELECT cpf AS doc FROM clientes) AS x",
    "WITH t AS (SELECT cpf FROM clientes) SELECT * FROM t",
    "WITH t AS (SELECT * FROM clientes) SELECT nome FROM t",
    "SELECT UPPER(cpf) FROM clientes",
    "SELECT SUBSTR(cpf, 1, 3) AS p FROM clientes",
    "SELECT nome FROM clientes WHERE cpf LIKE '1%'",
    "SELECT COUNT(*) FROM clientes WHERE cpf > '5'",
    "SELECT nome FROM clientes ORDER BY cpf",
    "SELECT nome FROM clientes UNION SELECT cpf FROM clientes",
    "SELECT (SELECT MAX(cpf) FROM clientes) AS m",
    "SELECT p.id FROM pedidos p JOIN clientes c ON c.cpf = CAST(p.id AS TEXT)",
    "SELECT * FROM atendentes",
    "SELECT a.nome FROM atendentes a",
    "SELECT c.id FROM chamados c WHERE c.atendente_id IN (SELECT id FROM atendentes)",
    "SELECT name FROM sqlite_master",
    "SELECT sql FROM sqlite_schema WHERE name = 'clientes'",
]
MASKED_MISUSE = [
    "SELECT nome FROM clientes WHERE email LIKE 'a%'",
    "SELECT LOWER(email) FROM clientes",
    "SELECT email, COUNT(*) FROM clientes GROUP BY email",
    "SELECT nome FROM clientes ORDER BY telefone",
    "SELECT LENGTH(t.e) FROM (SELECT email AS e FROM clientes) t",
]


@pytest.fixture
def ctx(tool_ctx: ToolContext) -> ToolContext:
    tool_ctx.policies = {DEMO_NAME: POLICY}
    return tool_ctx


def run(ctx: ToolContext, sql: str, connection: str | None = None) -> QueryResult:
    return run_query(RunQueryInput(sql=sql, connection=connection), ctx)


@pytest.mark.parametrize("sql", DENIED_ROUTES)
def test_denied_column_or_table_is_refused_by_every_route(ctx: ToolContext, sql: str) -> None:
    with pytest.raises(UnsafeQueryError) as info:
        run(ctx, sql)
    assert info.value.code in ("policy_denied", "catalog_not_allowed", "denied_function")
    with pytest.raises(UnsafeQueryError):
        explain_query(ExplainQueryInput(sql=sql), ctx)


@pytest.mark.parametrize("sql", MASKED_MISUSE)
def test_masked_column_cannot_be_filtered_or_transformed(ctx: ToolContext, sql: str) -> None:
    with pytest.raises(UnsafeQueryError) as info:
        run(ctx, sql)
    assert info.value.code == "policy_denied"


def test_masked_values_are_replaced_in_results(ctx: ToolContext, tool_ctx: ToolContext) -> None:
    result = run(ctx, "SELECT nome, email AS contato, telefone FROM clientes ORDER BY id LIMIT 5")
    assert all(row[1] == MASK and row[2] == MASK for row in result.rows)
    assert all(row[0] != MASK for row in result.rows)
    through_cte = run(ctx, "WITH t AS (SELECT id, email FROM clientes) SELECT t.email FROM t LIMIT 3")
    assert {row[0] for row in through_cte.rows} == {MASK}
    union = run(ctx, "SELECT nome FROM clientes UNION ALL SELECT email FROM clientes LIMIT 700")
    assert MASK in {row[0] for row in union.rows}
    text = result.to_text() + json.dumps(get_tool("run_query").structured(result), ensure_ascii=False)
    real = run_query(RunQueryInput(sql="SELECT email FROM clientes ORDER BY id LIMIT 5"), _open(tool_ctx))
    assert not any(str(row[0]) in text for row in real.rows)


def _open(ctx: ToolContext) -> ToolContext:
    import dataclasses

    return dataclasses.replace(ctx, policies={})


def test_allowed_queries_still_work_and_the_policy_caps_rows(ctx: ToolContext) -> None:
    assert run(ctx, "SELECT uf, COUNT(*) AS n FROM clientes GROUP BY uf").rows
    assert (
        run(ctx, "SELECT c.nome, p.valor_total FROM pedidos p JOIN clientes c ON c.id = p.cliente_id").row_count == 50
    )
    assert run(ctx, "SELECT COUNT(*) FROM clientes").rows == [[600]]


def test_schema_inspect_and_search_hide_denied_and_masked(ctx: ToolContext) -> None:
    schema = inspect_schema(InspectSchemaInput(), ctx)
    clientes = next(t for t in schema.tables if t.name == "clientes")
    names = [c.name for c in clientes.columns]
    assert "cpf" not in names and "email" in names
    assert all(not c.samples for c in clientes.columns if c.name in ("email", "telefone"))
    assert "atendentes" not in {t.name for t in schema.tables}
    dumped = schema.to_text() + json.dumps(get_tool("inspect_schema").structured(schema), ensure_ascii=False)
    assert " cpf " not in dumped and "atendentes" not in dumped
    asked = inspect_schema(InspectSchemaInput(tables=["atendentes", "clientes"]), ctx)
    assert "atendentes" in asked.not_found and [t.name for t in asked.tables] == ["clientes"]
    columns = search_schema(SearchSchemaInput(kinds=["column"], pattern="*cpf*"), ctx)
    assert columns.items == []
    tables = search_schema(SearchSchemaInput(pattern="atend*"), ctx)
    assert tables.items == []


def test_no_samples_policy_strips_every_sample(tool_ctx: ToolContext) -> None:
    tool_ctx.policies = {DEMO_NAME: ConnectionPolicy(samples=False)}
    schema = inspect_schema(InspectSchemaInput(), tool_ctx)
    assert all(not c.samples for t in schema.tables for c in t.columns)
    assert "valores:" not in schema.to_text()


def test_postgres_catalog_routes_and_errors(tool_ctx: ToolContext, demo_pg_url: str) -> None:
    from sqlalchemy import make_url

    name = "loja"
    tool_ctx.registry.add(name, demo_pg_url)
    tool_ctx.policies = {name: POLICY}
    for sql in (
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'clientes'",
        "SELECT attname FROM pg_catalog.pg_attribute",
        "SELECT cpf FROM public.clientes",
        "SELECT * FROM public.clientes",
        "SELECT row_to_json(c) FROM clientes c",
        "SELECT to_jsonb(c.*) FROM clientes c",
    ):
        with pytest.raises(UnsafeQueryError):
            run(tool_ctx, sql, name)
    assert run(tool_ctx, "SELECT email FROM public.clientes LIMIT 2", name).rows == [[MASK], [MASK]]
    # a database error that would echo a value: the message reaches the caller without it
    from tools.errors import DatabaseError

    with pytest.raises(DatabaseError) as info:
        run(tool_ctx, "SELECT CAST(nome AS INTEGER) FROM clientes", name)
    assert "'" not in info.value.message.split(":", 1)[-1] or "•••" in info.value.message
    assert make_url(demo_pg_url).database


def test_mariadb_catalog_routes(tool_ctx: ToolContext, demo_mysql_url: str) -> None:
    tool_ctx.registry.add("loja_my", demo_mysql_url)
    tool_ctx.policies = {"loja_my": POLICY}
    for sql in (
        "SELECT column_name FROM information_schema.columns",
        "SELECT cpf FROM clientes",
        "SELECT * FROM clientes",
        "SELECT CONCAT(nome, cpf) FROM clientes",
    ):
        with pytest.raises(UnsafeQueryError):
            run(tool_ctx, sql, "loja_my")
    assert {row[0] for row in run(tool_ctx, "SELECT telefone FROM clientes LIMIT 3", "loja_my").rows} == {MASK}
