"""explain_query: the plan, per dialect, without executing; ANALYZE and writes refused (real databases)."""

from __future__ import annotations

import pytest

from tools.context import ToolContext
from tools.errors import DatabaseError, InvalidInputError, UnsafeQueryError
from tools.safe_query.explain import ExplainQueryInput, ExplainResult, explain_query

JOIN = "SELECT c.nome, p.valor_total FROM pedidos p JOIN clientes c ON c.id = p.cliente_id WHERE c.uf = 'SP'"
# Executing this divides by zero; planning it does not (the subquery is only evaluated at run time).
WOULD_FAIL_IF_RUN = "SELECT 1 / (SELECT COUNT(*) - COUNT(*) FROM clientes) AS x"


def explain(ctx: ToolContext, sql: str, connection: str | None = None) -> ExplainResult:
    return explain_query(ExplainQueryInput(sql=sql, connection=connection), ctx)


def test_sqlite_query_plan(tool_ctx: ToolContext) -> None:
    result = explain(tool_ctx, JOIN)
    assert result.explained_sql.startswith("EXPLAIN QUERY PLAN SELECT")
    assert any("clientes" in line or " c " in f" {line} " for line in result.plan)
    assert result.to_text().startswith("Plano de execução (sqlite)")


def test_postgres_plan_without_running(tool_ctx: ToolContext, demo_pg_url: str) -> None:
    result = explain(tool_ctx, JOIN, demo_pg_url)
    assert result.explained_sql.startswith("EXPLAIN (") and "FORMAT TEXT" in result.explained_sql
    assert "ANALYZE" not in result.explained_sql.upper()
    assert any("Scan" in line or "Join" in line for line in result.plan)
    assert explain(tool_ctx, WOULD_FAIL_IF_RUN, demo_pg_url).plan
    # "EXPLAIN SELECT ..." given as input: the query inside is explained with our own options
    assert "FORMAT TEXT" in explain(tool_ctx, f"EXPLAIN {JOIN}", demo_pg_url).explained_sql


def test_mariadb_plan(tool_ctx: ToolContext, demo_mysql_url: str) -> None:
    result = explain(tool_ctx, JOIN, demo_mysql_url)
    assert result.explained_sql.startswith("EXPLAIN SELECT")
    assert result.plan[0].startswith("id | select_type | table")
    assert any("clientes" in line or "| c |" in line for line in result.plan[1:])
    assert explain(tool_ctx, WOULD_FAIL_IF_RUN, demo_mysql_url).plan


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN ANALYZE SELECT * FROM clientes",
        "EXPLAIN (ANALYZE) DELETE FROM clientes",
        "DELETE FROM clientes",
        "UPDATE clientes SET nome = 'x'",
        "SELECT 1; DROP TABLE clientes",
    ],
)
def test_analyze_and_writes_are_refused_before_the_database(tool_ctx: ToolContext, demo_pg_url: str, sql: str) -> None:
    with pytest.raises(UnsafeQueryError):
        explain(tool_ctx, sql, demo_pg_url)


def test_show_has_no_plan_and_bad_sql_is_a_database_error(tool_ctx: ToolContext, demo_pg_url: str) -> None:
    with pytest.raises(InvalidInputError):
        explain(tool_ctx, "SHOW search_path", demo_pg_url)
    with pytest.raises(DatabaseError):
        explain(tool_ctx, "SELECT * FROM tabela_que_nao_existe", demo_pg_url)
