"""The validator's allowlists: functions, node kinds, catalogs, SHOW/DESCRIBE regenerated from their parts."""

from __future__ import annotations

import pytest

from tools.errors import UnsafeQueryError
from tools.safe_query import validate
from tools.safe_query.allowlist import allowlist_sizes


def code_of(sql: str, dialect: str, database: str | None = None) -> str:
    with pytest.raises(UnsafeQueryError) as caught:
        validate(sql, dialect, database)
    assert caught.value.message
    return str(caught.value.detail["code"])


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', pg_read_file(''/etc/passwd''))')", "postgres"),
        ("SELECT ts_rewrite('a'::tsquery, 'SELECT t, s FROM aliases')", "postgres"),
        ("SELECT brin_summarize_new_values('idx'::regclass)", "postgres"),
        ("SELECT gin_clean_pending_list('idx'::regclass)", "postgres"),
        ("SELECT pg_copy_physical_replication_slot('a', 'b')", "postgres"),
        ("SELECT pg_advisory_lock(1)", "postgres"),
        ("SELECT lo_export(1, '/tmp/x')", "postgres"),
        ("SELECT pg_catalog.upper('x')", "postgres"),
        ("SELECT public.my_function(1)", "postgres"),
        ("SELECT some_unknown_function(1)", "mysql"),
        ("SELECT load_file('/etc/passwd')", "mysql"),
        ("SELECT readfile('/etc/passwd')", "sqlite"),
        ("SELECT repeat('x', 400000000)", "postgres"),
        ("SELECT repeat('x', n) FROM t", "postgres"),
        ("SELECT string_agg(repeat('x', 1000), '') FROM t", "postgres"),
        ("SELECT printf('%.*c', 400000000, 'x')", "sqlite"),
        ("SELECT printf('%999999999d', 1)", "sqlite"),
        ("SELECT zeroblob(2000000000)", "sqlite"),
        ("SELECT current_setting('data_directory')", "postgres"),
    ],
)
def test_functions_outside_the_allowlist_are_refused(sql: str, dialect: str) -> None:
    assert code_of(sql, dialect) == "denied_function"


@pytest.mark.parametrize(
    ("sql", "dialect", "database"),
    [
        ("SELECT rolpassword FROM pg_authid", "postgres", "app"),
        ("SELECT * FROM pg_catalog.pg_authid", "postgres", "app"),
        ("SELECT * FROM pg_hba_file_rules", "postgres", "app"),
        ("SELECT * FROM pg_file_settings", "postgres", "app"),
        ("SELECT * FROM information_schema.user_mapping_options", "postgres", "app"),
        ("SELECT * FROM other.public.t", "postgres", "app"),
        ("SELECT user, password FROM mysql.user", "mysql", "app"),
        ("SELECT * FROM performance_schema.threads", "mysql", "app"),
        ("SELECT * FROM sys.session", "mysql", "app"),
        ("SELECT * FROM other_db.clientes", "mysql", "app"),
        ("SHOW COLUMNS FROM other_db.clientes", "mysql", "app"),
        ("SELECT * FROM sqlite_temp_master", "sqlite", None),
    ],
)
def test_catalogs_and_other_databases_are_refused(sql: str, dialect: str, database: str | None) -> None:
    assert code_of(sql, dialect, database) == "catalog_not_allowed"


@pytest.mark.parametrize(
    ("sql", "dialect", "database"),
    [
        ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", "postgres", "app"),
        ("SELECT * FROM app.clientes", "mysql", "app"),
        ("SELECT name FROM sqlite_master WHERE type = 'table'", "sqlite", None),
        ("SELECT lpad(cpf, 14, '0'), repeat('-', 20) FROM clientes", "postgres", None),
        ("SELECT printf('%.2f', valor_total) FROM pedidos", "sqlite", None),
        ("SELECT FORMAT(valor_total, 2) FROM pedidos", "mysql", None),
        ("SELECT current_setting('TimeZone')", "postgres", None),
        ("SELECT pg_size_pretty(pg_database_size(current_database()))", "postgres", None),
    ],
)
def test_allowed_reads(sql: str, dialect: str, database: str | None) -> None:
    assert validate(sql, dialect, database).sql


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SHOW search_path", "postgres", "SHOW search_path"),
        ("show TIME ZONE", "postgres", "SHOW timezone"),
        ("SHOW TABLES", "mysql", "SHOW TABLES"),
        ("show full tables like 'cli%'", "mysql", "SHOW FULL TABLES LIKE 'cli%'"),
        ("SHOW COLUMNS FROM clientes", "mysql", "SHOW COLUMNS FROM `clientes`"),
        ("SHOW COLUMNS FROM `a``b` LIKE 'x''y'", "mysql", "SHOW COLUMNS FROM `a``b` LIKE 'x''y'"),
        ("SHOW INDEX FROM app.pedidos", "mysql", "SHOW INDEX FROM `app`.`pedidos`"),
        ("DESCRIBE clientes", "mysql", "DESCRIBE `clientes`"),
        ("DESC clientes nome", "mysql", "DESC `clientes` `nome`"),
    ],
)
def test_show_and_describe_are_regenerated(sql: str, dialect: str, expected: str) -> None:
    assert validate(sql, dialect, "app").sql == expected


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SHOW TABLES WHERE pg_sleep(1) IS NULL", "mysql"),
        ("SHOW TABLES WHERE (SELECT 1)", "mysql"),
        ("SHOW DATABASES", "mysql"),
        ("SHOW GRANTS", "mysql"),
        ("SHOW PROCESSLIST", "mysql"),
        ("SHOW data_directory", "postgres"),
        ("SHOW ALL", "postgres"),
        ("SHOW COLUMNS FROM clientes WHERE load_file('/etc/passwd')", "mysql"),
    ],
)
def test_other_show_forms_are_refused(sql: str, dialect: str) -> None:
    assert code_of(sql, dialect, "app") in ("parse_error", "command")


def test_allowlist_sizes_per_dialect() -> None:
    sizes = allowlist_sizes()
    assert set(sizes) >= {"postgres", "mysql", "sqlite"}
    assert all(size > 150 for size in sizes.values())
