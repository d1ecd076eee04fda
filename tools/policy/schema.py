"""What a policy lets schema-inspect and search_schema show: hidden tables and columns, masked samples."""

from __future__ import annotations

from tools.policy.model import ConnectionPolicy
from tools.schema_inspect.models import ColumnInfo, TableInfo


def _column(policy: ConnectionPolicy, table: TableInfo, column: ColumnInfo) -> ColumnInfo | None:
    if policy.column_denied(table.name, column.name, table.schema):
        return None
    if not policy.samples or policy.column_masked(table.name, column.name, table.schema):
        return column.model_copy(update={"samples": [], "more_values": False})
    return column


def visible_tables(policy: ConnectionPolicy, tables: list[TableInfo]) -> list[TableInfo]:
    """``tables`` as the policy lets a model see them (a new list; the cached originals are not touched)."""
    if policy.restricts_names is False and policy.samples:
        return tables
    kept = [t for t in tables if policy.table_allowed(t.name, t.schema)]
    names = {t.name for t in kept}
    out: list[TableInfo] = []
    for table in kept:
        columns = [c for c in (_column(policy, table, col) for col in table.columns) if c is not None]
        visible = {c.name for c in columns}
        foreign_keys = [
            fk
            for fk in table.foreign_keys
            if fk.referred_table in names
            and set(fk.columns) <= visible
            and not any(policy.column_denied(fk.referred_table, c, fk.referred_schema) for c in fk.referred_columns)
        ]
        out.append(
            table.model_copy(
                update={
                    "columns": columns,
                    "primary_key": [c for c in table.primary_key if c in visible],
                    "foreign_keys": foreign_keys,
                    "indexes": [ix for ix in table.indexes if set(ix.columns) <= visible],
                }
            )
        )
    return out
