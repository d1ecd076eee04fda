"""Join paths: FKs inferred from names (checked against the data) when a table declares none, and bridges."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tools.context import ToolContext
from tools.schema_inspect import InspectSchemaInput, TableInfo, inspect_schema
from tools.schema_inspect.joins import bridges, neighbours
from tools.schema_inspect.models import ColumnInfo, ForeignKeyInfo
from tools.schema_inspect.render import render

DDL = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status_id INTEGER, total REAL);
CREATE TABLE order_lines (id INTEGER PRIMARY KEY, id_order INTEGER, productCode INTEGER, qty INTEGER);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE concert_singers (concert INTEGER, singer_id INTEGER);
"""


@pytest.fixture
def undeclared(tmp_path: Path) -> str:
    path = tmp_path / "nofk.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(DDL)
        db.executemany("INSERT INTO customers VALUES (?, ?)", [(i, f"c{i}") for i in range(1, 6)])
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", [(i, 1 + i % 5, 7, 10.0) for i in range(1, 9)])
        db.executemany("INSERT INTO products VALUES (?, ?)", [(i, f"p{i}") for i in range(1, 4)])
        # productCode values do not exist in products.id: the naming guess is dropped
        db.executemany("INSERT INTO order_lines VALUES (?, ?, ?, 1)", [(i, 1 + i % 8, 900 + i) for i in range(1, 6)])
        db.executemany("INSERT INTO singer VALUES (?, ?)", [(1, "Ana"), (2, "Bia")])
        db.executemany("INSERT INTO concert_singers VALUES (?, ?)", [(1, 1), (1, 2)])
    return f"sqlite:///{path}"


def _fks(result, table: str) -> dict[str, tuple[str, str | None]]:
    info = next(t for t in result.tables if t.name == table)
    return {fk.columns[0]: (fk.referred_table, fk.inferred) for fk in info.foreign_keys}


def test_fks_are_inferred_from_names_and_confirmed_by_values(tool_ctx: ToolContext, undeclared: str) -> None:
    result = inspect_schema(InspectSchemaInput(connection=undeclared), tool_ctx)
    assert _fks(result, "orders") == {"customer_id": ("customers", "nome e valores")}  # no "status" table
    assert _fks(result, "order_lines") == {"id_order": ("orders", "nome e valores")}  # productCode: values differ
    assert _fks(result, "concert_singers") == {"singer_id": ("singer", "nome e valores")}  # same name as a PK
    assert "FK? customer_id -> customers.customer_id  -- inferida (nome e valores)" in result.compact


def test_declared_fks_are_never_second_guessed(tool_ctx: ToolContext, demo_sqlite: Path) -> None:
    result = inspect_schema(InspectSchemaInput(connection=f"sqlite:///{demo_sqlite}"), tool_ctx)
    assert all(fk.inferred is None for t in result.tables for fk in t.foreign_keys)


def _table(name: str, *fks: str) -> TableInfo:
    return TableInfo(
        name=name,
        columns=[ColumnInfo(name="id", type="INTEGER")],
        primary_key=["id"],
        foreign_keys=[ForeignKeyInfo(columns=[f"{t}_id"], referred_table=t, referred_columns=["id"]) for t in fks],
    )


def test_bridges_are_the_tables_on_shortest_join_paths() -> None:
    tables = [
        _table("clientes"),
        _table("pedidos", "clientes"),
        _table("entregas", "pedidos", "transportadoras"),
        _table("transportadoras"),
        _table("auditoria"),
    ]
    partners = neighbours(tables)
    assert bridges(["clientes", "transportadoras"], partners) == ["pedidos", "entregas"]
    assert bridges(["clientes", "auditoria"], partners) == []
    text, _ = render(tables, "clientes atendidos pela transportadora", 100_000)
    assert text.index("TABLE pedidos") < text.index("TABLE auditoria")
