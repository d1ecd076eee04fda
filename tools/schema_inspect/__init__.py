"""schema-inspect: tables, views, keys, row counts and sample values, plus compact prompt text.

Public API: ``inspect_schema(InspectSchemaInput, ctx) -> SchemaResult``, ``render_prompt(...)``,
``clear_schema_cache(ctx, connection=None)`` and the models below.
"""

from tools.schema_inspect.models import (
    ColumnInfo,
    ForeignKeyInfo,
    IndexInfo,
    InspectSchemaInput,
    SchemaResult,
    TableInfo,
)
from tools.schema_inspect.render import render_prompt
from tools.schema_inspect.tool import clear_schema_cache, inspect_schema

__all__ = [
    "ColumnInfo",
    "ForeignKeyInfo",
    "IndexInfo",
    "InspectSchemaInput",
    "SchemaResult",
    "TableInfo",
    "clear_schema_cache",
    "inspect_schema",
    "render_prompt",
]
