"""Schema confinement, information_schema filtering, the SQLite printf guard and the session's command refusal."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine

from tools.db.connect import limit_sqlite_values
from tools.errors import UnsafeQueryError
from tools.safe_query.execute import NotAQueryError, execute_readonly
from tools.safe_query.validator import validate


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT s FROM cofre.segredo",
        "TABLE cofre.segredo",
        'SELECT s FROM "cofre"."segredo"',
        "WITH x AS (SELECT s FROM cofre.segredo) SELECT * FROM x",
        "SELECT nome FROM clientes WHERE id IN (SELECT 1 FROM cofre.segredo)",
        "EXPLAIN SELECT s FROM cofre.segredo",
    ],
)
def test_tables_of_other_schemas_are_refused(sql: str) -> None:
    with pytest.raises(UnsafeQueryError) as caught:
        validate(sql, "postgres", "test", schemas=("public",))
    assert caught.value.detail["code"] == "schema_not_allowed"
    assert "fora dos esquemas desta conexão (public)" in caught.value.message


def test_own_schemas_and_unqualified_tables_pass() -> None:
    for sql in ("SELECT nome FROM public.clientes", "SELECT nome FROM clientes", "SELECT v FROM vendas.pedidos"):
        validate(sql, "postgres", "test", schemas=("public", "vendas"))


@pytest.mark.parametrize(("dialect", "names"), [("postgres", "'public', 'vendas'"), ("mysql", "'loja'")])
def test_information_schema_is_filtered_to_the_connection(dialect: str, names: str) -> None:
    sql = "SELECT t.table_name FROM information_schema.tables AS t JOIN information_schema.columns c USING (table_name)"
    statement = validate(sql, dialect, "loja", schemas=("vendas", "public") if dialect == "postgres" else None)
    assert statement.sql.count(f"table_schema IN ({names})") == 2
    assert " AS t " in statement.sql and " AS c " in statement.sql


def test_without_a_scope_nothing_is_filtered() -> None:
    assert "IN (" not in validate("SELECT table_name FROM information_schema.tables", "postgres").sql


@pytest.mark.parametrize(
    "sql",
    ["SELECT printf('%.*c', 1000000000, 'x')", "SELECT printf('%0900000000d', 1)", "SELECT format('%*d', -200000, 1)"],
)
def test_sqlite_printf_refuses_huge_widths_even_without_the_validator(sql: str) -> None:
    db = sqlite3.connect(":memory:")
    limit_sqlite_values(db)
    with pytest.raises(sqlite3.DataError, match="too big"):
        db.execute(sql).fetchone()


def test_sqlite_printf_still_formats() -> None:
    db = sqlite3.connect(":memory:")
    limit_sqlite_values(db)
    row = db.execute("SELECT printf('%5.2f|%-4d|%s|%%|%c|%*d', 3.14159, 7, 'abc', 'z', 3, 5), format('%d', 2)")
    assert row.fetchone() == (" 3.14|7   |abc|%|z|  5", "2")


@pytest.mark.parametrize("sql", ["RESET ROLE", "SET standard_conforming_strings = off"])
def test_postgres_commands_are_refused_clearly_when_the_validator_is_bypassed(demo_pg_url: str, sql: str) -> None:
    engine = create_engine(demo_pg_url)
    try:
        with pytest.raises(NotAQueryError) as caught:
            execute_readonly(engine, "postgres", sql, 5, 5.0)
        assert caught.value.detail["code"] == "not_a_query"
        assert "não é uma consulta" in caught.value.message
    finally:
        engine.dispose()
