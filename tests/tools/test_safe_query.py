"""safe-query units: validator rules, deny-list, Oracle/SQL Server parsing, row cap, result rendering."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from tools.errors import InvalidInputError, UnsafeQueryError
from tools.safe_query import QueryResult, RunQueryInput, apply_row_cap, json_safe, validate
from tools.safe_query.denylist import ALL, DENYLIST
from tools.safe_query.validator import DIALECTS, MAX_NESTING, MAX_REPARSED_NESTING


def code_of(sql: str, dialect: str) -> str:
    with pytest.raises(UnsafeQueryError) as caught:
        validate(sql, dialect)
    return str(caught.value.detail["code"])


# --- validator -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sql", ["", "   ", "\n\t", "-- só comentário", "/* nada */"])
def test_empty_sql_is_invalid_input_or_rejected(sql: str) -> None:
    with pytest.raises((InvalidInputError, UnsafeQueryError)) as caught:
        validate(sql, "sqlite")
    assert "vazia" in caught.value.message or caught.value.detail.get("code") == "empty"


def test_unknown_dialect_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        validate("SELECT 1", "db2")


def test_huge_sql_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        validate("SELECT " + "1 + " * 40_000 + "1", "sqlite")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rejection_carries_code_dialect_and_pt_br_message(dialect: str) -> None:
    with pytest.raises(UnsafeQueryError) as caught:
        validate("WITH x AS (SELECT 1) DELETE FROM clientes", dialect)
    error = caught.value
    assert error.code == "unsafe_query"
    assert error.detail["code"] == "write_statement" and error.detail["dialect"] == dialect
    assert "DELETE" in error.message and "apenas leitura" in error.message


def test_write_in_cte_message_names_the_statement() -> None:
    with pytest.raises(UnsafeQueryError) as caught:
        validate("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "postgres")
    assert caught.value.message == "A consulta contém DELETE dentro de uma CTE; apenas leitura (SELECT) é permitida."


def test_parse_error_is_rejected_with_the_parser_reason() -> None:
    with pytest.raises(UnsafeQueryError) as caught:
        validate("SELECT FROM WHERE (", "postgres")
    assert caught.value.detail["code"] == "parse_error"
    assert "\x1b" not in caught.value.message


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT 1;", "sqlite"),
        ("SELECT 1 ; -- fim", "postgres"),
        ("SELECT 1;;", "mysql"),
        ("SELECT ';' AS x", "postgres"),
        ("SELECT $$;DROP TABLE t$$", "postgres"),
        ("SELECT 1 /* ; DROP TABLE t */", "sqlite"),
        ("SELECT 1 -- ; DROP TABLE t", "postgres"),
        ("SELECT 1 # ; DROP TABLE t", "mysql"),
        ("SELECT 'a\\'; DROP TABLE t; --'", "mysql"),  # backslash escapes the quote in MySQL: one string
    ],
)
def test_harmless_semicolons_and_comments_pass(sql: str, dialect: str) -> None:
    statement = validate(sql, dialect)
    assert statement.kind == "query"
    assert ";" not in statement.sql.replace("';", "").replace(";D", "") or "DROP" in statement.sql


def test_canonical_sql_drops_comments_and_trailing_semicolon() -> None:
    statement = validate("SELECT nome -- o nome\nFROM clientes; /* fim */", "sqlite")
    assert statement.sql == "SELECT nome FROM clientes"
    assert statement.original.startswith("SELECT nome -- o nome")


@pytest.mark.parametrize(
    ("sql", "dialect", "kind"),
    [
        ("EXPLAIN SELECT * FROM t", "postgres", "explain"),
        ("EXPLAIN (FORMAT JSON, VERBOSE) SELECT * FROM t", "postgres", "explain"),
        ("EXPLAIN QUERY PLAN SELECT * FROM t", "sqlite", "explain"),
        ("EXPLAIN FORMAT=TREE SELECT * FROM t", "mysql", "explain"),
        ("DESCRIBE clientes", "mysql", "describe"),
        ("DESC clientes nome", "mysql", "describe"),
        ("SHOW TABLES", "mysql", "show"),
        ("SHOW FULL COLUMNS FROM clientes LIKE 'n%'", "mysql", "show"),
        ("SHOW search_path", "postgres", "show"),
        ("TABLE clientes", "postgres", "query"),
        ("VALUES (1), (2)", "postgres", "query"),
    ],
)
def test_read_only_statement_forms(sql: str, dialect: str, kind: str) -> None:
    assert validate(sql, dialect).kind == kind


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("EXPLAIN ANALYZE SELECT 1", "explain_analyze"),
        ("EXPLAIN (ANALYZE off) SELECT 1", "explain_analyze"),  # fail closed: any ANALYZE option
        ("EXPLAIN EXPLAIN SELECT 1", "parse_error"),
        ("EXPLAIN UPDATE t SET a = 1", "write_statement"),
        ("EXPLAIN SELECT * INTO x FROM t", "select_into"),
        ("EXPLAIN SELECT pg_sleep(1)", "denied_function"),
        ("SHOW (SELECT 1)", "parse_error"),
    ],
)
def test_explain_and_show_inner_statement_is_validated(sql: str, code: str) -> None:
    assert code_of(sql, "postgres") == code


def test_sqlglot_command_fallbacks_are_never_accepted() -> None:
    # statements sqlglot only knows as exp.Command (or misreads as a column/alias) must be rejected
    for sql in ("LISTEN x", "REINDEX", "CALL f()", "DO $$ $$", "LOCK TABLE t", "VACUUM", "PREPARE p AS SELECT 1"):
        assert code_of(sql, "postgres") in {"command", "write_statement"}, sql


def test_nested_query_roots_and_subqueries_are_walked() -> None:
    deep = "SELECT * FROM (SELECT * FROM (SELECT pg_read_file('/etc/passwd') AS x) a) b"
    assert code_of(deep, "postgres") == "denied_function"
    assert code_of("SELECT 1 UNION SELECT 2 UNION SELECT nextval('s')", "postgres") == "denied_function"


# --- deny-list ---------------------------------------------------------------------------------------------
def test_denylist_entries_are_documented_and_target_known_dialects() -> None:
    assert len(DENYLIST) >= 60
    for entry in DENYLIST:
        assert entry.pattern == entry.pattern.lower() and entry.reason
        assert set(entry.dialects) <= set(ALL)


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT PG_CATALOG.PG_SLEEP(1)", "postgres"),
        ('SELECT "pg_catalog"."pg_read_file"(\'x\')', "postgres"),
        ("SELECT lo_unlink(1)", "postgres"),
        ("SELECT dblink_connect('x')", "postgres"),
        ("SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = pg_sleep(1))", "postgres"),
        ("SELECT Sleep(1) FROM DUAL", "mysql"),
        ("SELECT zeroblob(1000001)", "sqlite"),
        ("SELECT randomblob('1000')", "sqlite"),
    ],
)
def test_denied_functions_match_case_qualified_and_quoted(sql: str, dialect: str) -> None:
    assert code_of(sql, dialect) == "denied_function"


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT x FROM generate_series(1, 3) AS x", "postgres"),
        ("SELECT current_setting('TimeZone')", "postgres"),
        ("SELECT randomblob(16), zeroblob(1000000)", "sqlite"),
        ("SELECT sleep_hours FROM t", "mysql"),  # a column, not the function
        ("SELECT lower(nome), length(nome) FROM clientes", "sqlite"),
        ("SELECT pg_size_pretty(pg_database_size(current_database()))", "postgres"),
    ],
)
def test_harmless_functions_are_allowed(sql: str, dialect: str) -> None:
    validate(sql, dialect)


# --- Oracle and SQL Server (no server here: parsing, rules, row cap) ------------------------------------------
@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT nome FROM clientes WHERE ROWNUM <= 5", "oracle"),
        ("SELECT nome, NVL(cidade, '-') FROM clientes ORDER BY nome FETCH FIRST 5 ROWS ONLY", "oracle"),
        (
            "SELECT TO_CHAR(data_pedido, 'YYYY-MM') mes, COUNT(*) FROM pedidos GROUP BY TO_CHAR(data_pedido, 'YYYY-MM')",  # noqa: E501
            "oracle",
        ),
        ("SELECT SYSDATE FROM dual", "oracle"),
        ("SELECT TOP 10 nome FROM clientes ORDER BY nome", "tsql"),
        ("SELECT nome, ISNULL(cidade, '-') FROM clientes", "tsql"),
        ("WITH x AS (SELECT id FROM clientes) SELECT COUNT(*) FROM x", "tsql"),
        ("SELECT DATEADD(day, -30, GETDATE())", "tsql"),
    ],
)
def test_oracle_and_tsql_read_queries_pass(sql: str, dialect: str) -> None:
    assert validate(sql, dialect).kind == "query"


@pytest.mark.parametrize(
    ("sql", "dialect", "code"),
    [
        ("EXEC xp_cmdshell 'dir'", "tsql", "command"),
        ("EXECUTE sp_executesql N'DELETE FROM clientes'", "tsql", "command"),
        ("SELECT * FROM OPENROWSET('SQLNCLI', 'x', 'SELECT 1')", "tsql", "denied_function"),
        ("SELECT * FROM OPENQUERY(srv, 'DELETE FROM t')", "tsql", "denied_function"),
        ("SELECT * FROM OPENDATASOURCE('SQLNCLI', 'x').db.dbo.t", "tsql", "denied_function"),
        ("SELECT sys.fn_get_audit_file('x', DEFAULT, DEFAULT)", "tsql", "denied_function"),
        ("SELECT NEXT VALUE FOR seq", "tsql", "denied_function"),
        ("SELECT * INTO #copia FROM clientes", "tsql", "select_into"),
        ("SELECT 1; SHUTDOWN", "tsql", "multiple_statements"),
        ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;", "tsql", "write_statement"),
        ("SELECT UTL_HTTP.REQUEST('http://x') FROM dual", "oracle", "denied_function"),
        ("SELECT UTL_FILE.FOPEN('d', 'f', 'w') FROM dual", "oracle", "denied_function"),
        ("SELECT DBMS_PIPE.RECEIVE_MESSAGE('a', 10) FROM dual", "oracle", "denied_function"),
        ("SELECT SYS.DBMS_LOCK.SLEEP(10) FROM dual", "oracle", "denied_function"),
        ("SELECT seq.NEXTVAL FROM dual", "oracle", "denied_function"),
        ("SELECT * FROM clientes FOR UPDATE", "oracle", "locking_clause"),
        ("BEGIN DELETE FROM clientes; END;", "oracle", "multiple_statements"),
        ("DELETE FROM clientes", "oracle", "write_statement"),
    ],
)
def test_oracle_and_tsql_attacks_are_rejected(sql: str, dialect: str, code: str) -> None:
    assert code_of(sql, dialect) == code


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SELECT nome FROM clientes ORDER BY nome", "tsql", "SELECT TOP 11 nome FROM clientes ORDER BY nome"),
        ("SELECT TOP 5 nome FROM clientes", "tsql", "SELECT TOP 5 nome FROM clientes"),
        ("SELECT TOP 500 nome FROM clientes", "tsql", "SELECT TOP 11 nome FROM clientes"),
        ("SELECT nome FROM clientes ORDER BY nome", "oracle", "SELECT nome FROM clientes ORDER BY nome FETCH FIRST 11 ROWS ONLY"),  # noqa: E501
        ("SELECT nome FROM clientes FETCH FIRST 500 ROWS ONLY", "oracle", "SELECT nome FROM clientes FETCH FIRST 11 ROWS ONLY"),  # noqa: E501
        ("SELECT nome FROM clientes FETCH FIRST 3 ROWS ONLY", "oracle", "SELECT nome FROM clientes FETCH FIRST 3 ROWS ONLY"),  # noqa: E501
    ],
)  # fmt: skip
def test_row_cap_uses_top_and_fetch_first(sql: str, dialect: str, expected: str) -> None:
    assert apply_row_cap(validate(sql, dialect), 10) == expected


# --- row cap on SQLite / PostgreSQL / MySQL ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SELECT a FROM t ORDER BY a DESC", "postgres", "SELECT a FROM t ORDER BY a DESC LIMIT 11"),
        ("SELECT a FROM t LIMIT 3", "sqlite", "SELECT a FROM t LIMIT 3"),
        ("SELECT a FROM t LIMIT 5000 OFFSET 20", "postgres", "SELECT a FROM t LIMIT 11 OFFSET 20"),
        ("SELECT a FROM t LIMIT 20, 5000", "mysql", "SELECT a FROM t LIMIT 11 OFFSET 20"),
        ("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1", "sqlite", "SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 LIMIT 11"),  # noqa: E501
        ("WITH x AS (SELECT a FROM t LIMIT 99) SELECT a FROM x", "postgres", "WITH x AS (SELECT a FROM t LIMIT 99) SELECT a FROM x LIMIT 11"),  # noqa: E501
        ("(SELECT a FROM t LIMIT 3)", "postgres", "SELECT a FROM t LIMIT 3"),
        ("EXPLAIN SELECT a FROM t", "postgres", "EXPLAIN SELECT a FROM t"),
        ("SHOW TABLES", "mysql", "SHOW TABLES"),
    ],
)  # fmt: skip
def test_row_cap_injects_or_lowers_limit(sql: str, dialect: str, expected: str) -> None:
    assert apply_row_cap(validate(sql, dialect), 10) == expected


def test_row_cap_keeps_order_by_semantics_on_sqlite(demo_sqlite: Path) -> None:
    sql = "SELECT id, valor_total FROM pedidos ORDER BY valor_total DESC, id"
    capped = apply_row_cap(validate(sql, "sqlite"), 25)
    with sqlite3.connect(f"file:{demo_sqlite}?mode=ro", uri=True) as raw:
        full = raw.execute(sql).fetchall()
        limited = raw.execute(capped).fetchall()
    assert len(full) > 26
    assert limited == full[:26]


# --- results ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.56"), 1234.56),
        (Decimal("0.10"), 0.1),
        (Decimal("12345678901234567890.12"), "12345678901234567890.12"),
        (Decimal("NaN"), "NaN"),
        (float("inf"), "inf"),
        (datetime(2026, 6, 30, 14, 5), "2026-06-30 14:05:00"),
        (date(2026, 6, 30), "2026-06-30"),
        (time(9, 30), "09:30:00"),
        (timedelta(days=1, hours=2), 93600.0),
        (UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (b"\x00\x01\x02", "<3 bytes>"),
        (memoryview(b"abcd"), "<4 bytes>"),
        ({"a": Decimal("1.5"), "b": [date(2026, 1, 1)]}, {"a": 1.5, "b": ["2026-01-01"]}),
        (True, True),
        (None, None),
        ("São Paulo", "São Paulo"),
    ],
)
def test_json_safe_values(value: object, expected: object) -> None:
    assert json_safe(value) == expected


def _result(rows: list[list[object]], truncated: bool = False) -> QueryResult:
    return QueryResult(
        connection="demo",
        dialect="sqlite",
        columns=["uf", "n", "media"],
        rows=rows,
        row_count=len(rows),
        truncated=truncated,
        elapsed_ms=1.0,
        executed_sql="SELECT ...",
    )


def test_to_text_shows_at_most_max_rows_and_counts_all() -> None:
    rows = [[f"U{i}", i, i / 2] for i in range(50)]
    text = _result(rows, truncated=True).to_text()
    lines = text.splitlines()
    assert lines[0] == "uf | n | media"
    assert "U19" in text and "U20" not in text
    assert "Linhas 1-20 de mais de 50 linhas" in text and "offset=20" in text
    assert "n: mín 0, máx 49, média 24.5" in text


def test_column_stats_only_for_numeric_columns() -> None:
    stats = _result([["SP", 3, None], ["RJ", 5, 2.5], ["MG", True, 1.5]]).column_stats()
    assert [s.column for s in stats] == ["media"]  # "n" holds a boolean, "uf" text
    assert (stats[0].min, stats[0].max, stats[0].mean, stats[0].count) == (1.5, 2.5, 2.0, 2)


def test_run_query_input_schema_documents_every_field() -> None:
    schema = RunQueryInput.model_json_schema()
    assert set(schema["properties"]) == {"sql", "connection", "max_rows", "offset"}
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert schema["required"] == ["sql"]


# --- parser recursion and size (red-team pass 2): a clean refusal, never a RecursionError or seconds of CPU ----------
@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "(" * 200 + "1" + ")" * 200,
        "SELECT " + "CASE WHEN 1 = 1 THEN " * 300 + "1" + " END" * 300,
        "SELECT " + "NOT " * 3000 + "(1 = 1)",
        "SELECT " + "abs(" * 500 + "1" + ")" * 500,
        "SELECT COUNT(*) FROM clientes WHERE id IN (" + "1, " * 20_000 + "2)",
    ],
    ids=["parens", "case", "not-chain", "functions", "in-list"],
)
def test_too_deep_or_too_long_statements_are_refused_cleanly(sql: str, dialect: str) -> None:
    with pytest.raises(UnsafeQueryError) as refused:
        validate(sql, dialect)
    assert refused.value.detail["code"] == "too_complex"
    assert "complexa demais" in refused.value.message


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("(", ")"), ("abs(", ")"), ("CASE WHEN 1 = 1 THEN ", " END"), ("(SELECT ", ")")],
    ids=["parens", "functions", "case", "subqueries"],
)
def test_nesting_bound_is_explicit_and_independent_of_the_callers_stack(opening: str, closing: str) -> None:
    def nested(depth: int) -> str:
        return "SELECT " + opening * depth + "1" + closing * depth

    def deep_in_the_stack(frames: int, sql: str) -> str:  # called from 100 frames down, like a tool in a worker
        return deep_in_the_stack(frames - 1, sql) if frames else validate(sql, "postgres").kind

    assert deep_in_the_stack(100, nested(MAX_NESTING)) == "query"
    with pytest.raises(UnsafeQueryError) as refused:
        validate(nested(MAX_NESTING + 1), "postgres")
    assert refused.value.detail == {
        "code": "too_complex",
        "dialect": "postgres",
        "limit": 10_000,
        "nesting": MAX_NESTING,
    }


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        ("ARRAY[", "]"),
        ("ARRAY[(", ")]"),
        ("ARRAY[1, 2, ", ", 3]"),
        ("x[", "]"),
        ("DATE(", ")"),
        ("TIMESTAMP((", "))"),
    ],
    ids=["arrays", "arrays-in-parens", "arrays-with-siblings", "subscripts", "date", "timestamp-in-parens"],
)
def test_nesting_parsed_twice_is_bounded_apart_from_parentheses(opening: str, closing: str) -> None:
    # sqlglot parses ARRAY[ and DATE( twice (as a type, then as an expression): each level doubled the parse time,
    # and 30 levels, under the parentheses' bound, kept a worker busy for hours
    def nested(depth: int) -> str:
        return "SELECT " + opening * depth + "1" + closing * depth + " FROM t"

    assert validate(nested(MAX_REPARSED_NESTING), "postgres").kind == "query"
    with pytest.raises(UnsafeQueryError) as refused:
        validate(nested(MAX_REPARSED_NESTING + 1), "postgres")
    assert refused.value.detail == {
        "code": "too_complex",
        "dialect": "postgres",
        "limit": 10_000,
        "nesting": MAX_REPARSED_NESTING,
    }


def test_mysql_binary_nesting_is_bounded() -> None:  # BINARY( tripled the parse time per level: 14 took 16 s
    assert code_of(
        "SELECT " + "BINARY(" * (MAX_REPARSED_NESTING + 1) + "1" + ")" * (MAX_REPARSED_NESTING + 1), "mysql"
    ) == ("too_complex")


def test_arrays_written_with_parentheses_are_bounded_too() -> None:  # regenerated as ARRAY[ARRAY[...
    assert code_of("SELECT " + "ARRAY(" * 16 + "1" + ")" * 16, "postgres") == "too_complex"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
@pytest.mark.parametrize("sql", ["SELECT 1" + "::INT" * 3000, "SELECT a" + ".b" * 4000], ids=["casts", "dots"])
def test_trees_too_deep_to_write_are_refused_cleanly_by_the_row_cap(sql: str, dialect: str) -> None:
    # parsed without recursion (a flat chain), but written recursively: generation runs after validate()
    with pytest.raises(UnsafeQueryError) as refused:
        apply_row_cap(validate(sql, dialect), 100)
    assert refused.value.detail == {"code": "too_complex", "dialect": dialect, "limit": 10_000}
    assert "complexa demais" in refused.value.message


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT #> nextval PATH ('rt_seq')", "postgres"),
        ("SELECT ( -> 'clientes_id_seq' SELECT 1", "sqlite"),
        ("SELECT COUNT(*) FROM pedidos WHERE d >= DATE_SUB('2026-06-30', :: INTERVAL 30 DAY)", "mysql"),
    ],
    ids=["postgres-jsonb-operator", "sqlite-arrow", "mysql-cast-operator"],
)
def test_operators_without_operands_are_parse_errors(sql: str, dialect: str) -> None:
    # the compiled sqlglot raises TypeError (not ParseError) for an operator missing its left operand
    assert code_of(sql, dialect) == "parse_error"


def test_tree_the_writer_cannot_express_is_a_parse_error_not_a_type_error() -> None:
    statement = validate("SELECT DATEDIFF('2026-06-30', data_cadastro) AS dias FROM clientes", "tsql")  # MySQL's form
    with pytest.raises(UnsafeQueryError) as refused:
        apply_row_cap(statement, 100)
    assert refused.value.detail == {"code": "parse_error", "dialect": "tsql"}
    assert "SQL Server" in refused.value.message


def test_function_after_a_dot_with_nothing_before_it_is_refused_not_a_crash() -> None:
    # "LATERAL . f()" parses as a Dot without its left side: the qualified-call check read the missing qualifier
    assert code_of("SELECT x LATERAL . upper('a')", "postgres") == "denied_function"


def test_ordinary_nesting_still_passes() -> None:
    sql = "SELECT " + "(" * 20 + "1" + ")" * 20 + " AS x, (SELECT (SELECT (SELECT 1))) AS y"
    assert validate(sql, "postgres").kind == "query"
