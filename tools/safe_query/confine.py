"""Confine a validated query to the connection's own schemas (PostgreSQL) or database (MariaDB/MySQL).

Two rules, applied by the validator when the caller gives the connection's scope:

- a table qualified with a schema outside ``schemas`` is refused (``schema_not_allowed``); unqualified names resolve
  through the pinned ``search_path``, which holds only ``pg_catalog`` and those schemas (``session``);
- ``information_schema`` views list every schema/database the login can see (all of them for a privileged login):
  each reference is replaced by a subquery filtered on the view's schema column, e.g.
  ``information_schema.tables`` -> ``(SELECT * FROM information_schema.tables WHERE table_schema IN ('public'))
  AS tables``.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp

SCHEMA_COLUMN = {
    "tables": "table_schema",
    "columns": "table_schema",
    "views": "table_schema",
    "key_column_usage": "table_schema",
    "table_constraints": "table_schema",
    "referential_constraints": "constraint_schema",
    "schemata": "schema_name",
}
"""The column holding the schema (PostgreSQL) or database (MySQL) of each readable information_schema view."""


def visible_schemas(dialect: str, database: str | None, schemas: Collection[str] | None) -> tuple[str, ...] | None:
    """The names information_schema rows are filtered on; None when the query is not confined."""
    if dialect == "postgres" and schemas is not None:
        return tuple(sorted(s.lower() for s in schemas))
    if dialect == "mysql" and database:
        return (database.lower(),)
    return None


def filter_information_schema(tree: exp.Expr, names: tuple[str, ...]) -> exp.Expr:
    """``tree`` with every information_schema view it reads filtered to ``names`` (a copy; ``tree`` is kept)."""
    if not any(_is_view(table) for table in tree.find_all(exp.Table)):
        return tree
    tree = tree.copy()
    for table in [table for table in tree.find_all(exp.Table) if _is_view(table)]:
        view = table.name.lower()
        # MariaDB compares information_schema names case-insensitively; PostgreSQL names are folded already
        condition = exp.column(SCHEMA_COLUMN[view]).isin(*[exp.Literal.string(n) for n in names])
        alias = table.args.get("alias")
        alias = alias.copy() if isinstance(alias, exp.TableAlias) else exp.TableAlias(this=table.this.copy())
        inner = exp.select("*").from_(exp.Table(this=table.this.copy(), db=table.args["db"].copy()))
        filtered = inner.where(condition).subquery()
        filtered.set("alias", alias)
        table.replace(filtered)
    return tree


def _is_view(table: exp.Table) -> bool:
    return table.db.lower() == "information_schema" and table.name.lower() in SCHEMA_COLUMN
