"""SQL generation per dialect: MariaDB-compatible REGEXP, and the caller's tree left intact for later checks."""

from __future__ import annotations

from sqlglot import exp, parse_one

from tools.safe_query.dialects import generate


def test_mysql_writes_regexp_operator_not_regexp_like() -> None:
    tree = parse_one("SELECT COUNT(*) FROM clientes WHERE email REGEXP '^[a-z]+'", read="mysql")
    assert generate(tree, "mysql") == "SELECT COUNT(*) FROM clientes WHERE (email REGEXP '^[a-z]+')"


def test_nested_regexp_operands_are_rewritten_too() -> None:
    tree = parse_one("SELECT x REGEXP CONCAT('a', y REGEXP 'b') FROM t WHERE NOT z REGEXP 'c'", read="mysql")
    sql = generate(tree, "mysql")
    assert "REGEXP_LIKE" not in sql
    assert sql == "SELECT (x REGEXP CONCAT('a', (y REGEXP 'b'))) FROM t WHERE NOT (z REGEXP 'c')"


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
