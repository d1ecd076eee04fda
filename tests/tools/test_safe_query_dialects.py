"""SQL generation per dialect: MariaDB-compatible REGEXP (meaning checked on MariaDB), and the caller's tree left intact
for later checks."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlglot import exp, parse_one

from tools.context import ToolContext
from tools.errors import UnsafeQueryError
from tools.safe_query import RunQueryInput, run_query
from tools.safe_query.dialects import generate
from tools.safe_query.validator import validate


def test_mysql_writes_regexp_operator_not_regexp_like() -> None:
    tree = parse_one("SELECT COUNT(*) FROM clientes WHERE email REGEXP '^[a-z]+'", read="mysql")
    assert generate(tree, "mysql") == "SELECT COUNT(*) FROM clientes WHERE (email REGEXP '^[a-z]+')"


def test_nested_regexp_operands_are_rewritten_too() -> None:
    tree = parse_one("SELECT x REGEXP CONCAT('a', y REGEXP 'b') FROM t WHERE NOT z REGEXP 'c'", read="mysql")
    sql = generate(tree, "mysql")
    assert "REGEXP_LIKE" not in sql
    assert sql == "SELECT (x REGEXP (CONCAT('a', (y REGEXP 'b')))) FROM t WHERE NOT (z REGEXP 'c')"


def test_rewrite_leaves_the_callers_tree_walkable() -> None:
    # Validation may walk the tree after generating it: the operands must not vanish into raw text there.
    tree = parse_one("SELECT 1 FROM t WHERE a REGEXP (SELECT MAX(b) FROM u)", read="mysql")
    generate(tree, "mysql")
    regexp = tree.find(exp.RegexpLike)
    assert regexp is not None
    assert regexp.find(exp.Select) is not None


def test_other_dialects_keep_sqlglots_writer() -> None:
    tree = parse_one("SELECT nome FROM clientes WHERE nome ~ '^A'", read="postgres")
    assert generate(tree, "postgres") == "SELECT nome FROM clientes WHERE nome ~ '^A'"


# REGEXP_LIKE's meaning on a real MariaDB: each case is (select-list expression over x, y, s, bin, nl, cr) and the
# value MySQL 8's REGEXP_LIKE gives it. Before operands were parenthesised, `REGEXP_LIKE(x OR y, 'p')` ran as
# `x OR (y REGEXP 'p')`, and flags were dropped.
_ROW = (
    "SELECT 0 AS x, 'p' AS y, 5 AS n, '0' AS s, BINARY 'ABC' AS bin, CONCAT('a', CHAR(10), 'b') AS nl, "
    "CONCAT('a', CHAR(13), 'b') AS cr"
)
REGEXP_MEANINGS = [
    ("REGEXP_LIKE(x OR y, 'p')", 0),  # (0 OR 'p') is 0: '0' does not match 'p'
    ("REGEXP_LIKE(x || y, 'p')", 0),  # || is OR under the pinned sql_mode
    ("REGEXP_LIKE(s, x OR n)", 0),  # the pattern is (0 OR 5) = 1: '0' does not match '1'
    ("REGEXP_LIKE(NOT n, '^1$')", 0),  # NOT 5 is 0
    ("REGEXP_LIKE(s, n = 1)", 1),  # the pattern is (5 = 1) = 0, and '0' matches '0'
    ("REGEXP_LIKE(CASE WHEN x = 0 THEN 'A' ELSE 'B' END, 'a')", 1),
    ("REGEXP_LIKE(bin, 'abc')", 0),  # a binary string matches case-sensitively by default
    ("REGEXP_LIKE(bin, 'abc', 'i')", 1),
    ("REGEXP_LIKE('ABC', 'abc')", 1),  # the connection's collation is case-insensitive
    ("REGEXP_LIKE('ABC', 'abc', 'c')", 0),
    ("REGEXP_LIKE('ABC', 'abc', 'ci')", 1),  # the rightmost of c and i wins
    ("REGEXP_LIKE('ABC', 'abc', 'ic')", 0),
    ("REGEXP_LIKE(nl, '^b')", 0),
    ("REGEXP_LIKE(nl, '^b', 'm')", 1),
    ("REGEXP_LIKE(nl, 'a.b')", 0),
    ("REGEXP_LIKE(nl, 'a.b', 'n')", 1),
    ("REGEXP_LIKE(nl, '^a.b$', 'mn')", 1),
    ("REGEXP_LIKE(cr, 'a.b', 'u')", 1),  # only \n ends a line, so . matches \r
    ("REGEXP_LIKE(bin, CONCAT('a', 'b'), 'i')", 1),
    ("REGEXP_LIKE('x', 'X', '')", 1),
    ("REGEXP_LIKE(NULL, 'a', 'i')", None),
]


@pytest.mark.parametrize(("expression", "expected"), REGEXP_MEANINGS)
def test_regexp_like_keeps_its_meaning_on_mariadb(mysql_url: str, expression: str, expected: int | None) -> None:
    tree = parse_one(f"SELECT {expression} FROM ({_ROW}) AS t", read="mysql")
    validate(tree.sql(dialect="mysql"), "mysql")  # the query as written passes validation
    sql = generate(tree, "mysql")
    assert "REGEXP_LIKE" not in sql
    engine = create_engine(mysql_url)
    try:
        with engine.connect() as db:
            assert db.execute(text(sql)).scalar() == expected, sql
    finally:
        engine.dispose()


def test_regexp_operands_are_parenthesised_unless_atomic() -> None:
    tree = parse_one("SELECT REGEXP_LIKE(x OR y, a = b), REGEXP_LIKE(t.c, 'p'), REGEXP_LIKE(f(c), NULL)", read="mysql")
    assert generate(tree, "mysql") == ("SELECT ((x OR y) REGEXP (a = b)), (t.c REGEXP 'p'), ((f(c)) REGEXP NULL)")


def test_regexp_flags_become_inline_options_of_the_pattern() -> None:
    tree = parse_one("SELECT 1 FROM t WHERE REGEXP_LIKE(nome, CONCAT('^', x), 'imn')", read="mysql")
    assert generate(tree, "mysql") == ("SELECT 1 FROM t WHERE (nome REGEXP CONCAT('(?i)(?m)(?s)', (CONCAT('^', x))))")


@pytest.mark.parametrize("flags", ["c || 'i'", "nome", "NULL", "'x'", "'I'", "'i '", "1", "CONCAT('i', '')"])
def test_regexp_flags_other_than_literal_known_letters_are_refused(flags: str) -> None:
    tree = parse_one(f"SELECT 1 FROM t WHERE REGEXP_LIKE(nome, 'a', {flags})", read="mysql")
    with pytest.raises(UnsafeQueryError) as refused:
        generate(tree, "mysql")
    assert refused.value.detail["code"] == "regexp_flags"
    assert "REGEXP_LIKE" in refused.value.message
    assert "c, i, m, n e u" in refused.value.message


def test_regexp_flags_argument_is_still_validated() -> None:
    with pytest.raises(UnsafeQueryError) as refused:
        validate("SELECT 1 FROM t WHERE REGEXP_LIKE(nome, 'a', (SELECT LOAD_FILE('/etc/passwd')))", "mysql")
    assert refused.value.detail["code"] == "denied_function"


def test_regexp_flags_refusal_reaches_run_query(demo_mysql_url: str, tool_ctx: ToolContext) -> None:
    sql = "SELECT COUNT(*) FROM clientes WHERE REGEXP_LIKE(nome, '^[a-z]', nome)"
    with pytest.raises(UnsafeQueryError) as refused:
        run_query(RunQueryInput(sql=sql, connection=demo_mysql_url), tool_ctx)
    assert refused.value.detail["code"] == "regexp_flags"


def test_regexp_flags_change_the_rows_run_query_counts(demo_mysql_url: str, tool_ctx: ToolContext) -> None:
    def count(flags: str) -> object:
        sql = f"SELECT COUNT(*) FROM clientes WHERE REGEXP_LIKE(nome, '^[a-z]'{flags})"
        return run_query(RunQueryInput(sql=sql, connection=demo_mysql_url), tool_ctx).rows[0][0]

    assert count("") == count(", 'i'") == 590  # the collation ignores case; 10 names start with Á, É, ...
    assert count(", 'c'") == 0
