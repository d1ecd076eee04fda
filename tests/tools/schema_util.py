"""Helpers shared by the schema-inspect tests."""

from __future__ import annotations

from tools.schema_inspect import SchemaResult, TableInfo

DEMO_TABLES = {
    "clientes",
    "categorias",
    "produtos",
    "pedidos",
    "itens_pedido",
    "transportadoras",
    "entregas",
    "pagamentos",
    "notas_fiscais",
    "atendentes",
    "chamados",
}


def table_named(result: SchemaResult, name: str) -> TableInfo:
    return next(t for t in result.tables if t.name == name)
