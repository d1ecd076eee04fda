"""The ``search_schema`` tool: list or search schemas, tables, views and columns by name and relevance, paged.

The cheap first step on a big database: names only by default, a few hundred bytes per page; the same cached
reflection as ``inspect_schema`` (no extra database work once it is warm), except ``kinds=["schema"]``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from tools.context import ToolContext
from tools.db.connect import ResolvedConnection, db_error, get_engine, resolve_connection
from tools.policy import policy_for
from tools.policy.schema import visible_tables
from tools.schema_inspect.introspect import read_only
from tools.schema_inspect.models import ColumnInfo, InspectSchemaInput, TableInfo
from tools.schema_inspect.relevance import Question, score_column, score_table
from tools.schema_inspect.render import table_block
from tools.schema_inspect.search_models import Kind, SchemaObject, SchemaSearchResult, SearchSchemaInput
from tools.schema_inspect.text import fold
from tools.schema_inspect.tool import allowed_schemas, cached_schema

SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys", "sqlite_temp"}
)
_SUMMARY_COLUMNS_CHARS = 160
_FOOTER_RESERVE = 90


@dataclass(frozen=True)
class _Candidate:
    kind: Kind
    name: str
    schema: str | None
    table: TableInfo | None = None
    column: int | None = None

    @property
    def label(self) -> str:
        """The name as written in SQL: ``schema.table``, ``table.column`` or ``schema``."""
        if self.kind == "column" and self.table is not None:
            return f"{self.table.qualified_name}.{self.name}"
        return f"{self.schema}.{self.name}" if self.schema and self.kind != "schema" else self.name


def _schema_names(ctx: ToolContext, conn: ResolvedConnection) -> list[str]:
    try:
        with read_only(get_engine(ctx, conn), ctx.query_limits.timeout_s) as db:
            names = sa.inspect(db).get_schema_names()
    except SQLAlchemyError as error:
        raise db_error(error, conn) from None
    allowed = allowed_schemas(ctx, conn)  # only the schemas (database) the connection may read, like run_query
    if allowed is not None:
        names = [n for n in names if n.lower() in {a.lower() for a in allowed}]
    return sorted((n for n in names if n.lower() not in SYSTEM_SCHEMAS and not n.startswith("pg_")), key=str.lower)


def _candidates(ctx: ToolContext, conn: ResolvedConnection, params: SearchSchemaInput) -> Iterator[_Candidate]:
    kinds = set(params.kinds or ("table", "view"))
    if "schema" in kinds:
        yield from (_Candidate("schema", name, None) for name in _schema_names(ctx, conn))
    if not kinds & {"table", "view", "column"}:
        return
    inspect_params = InspectSchemaInput(connection=params.connection, schema_=params.schema, refresh=params.refresh)
    reflected = cached_schema(ctx, conn, inspect_params).tables
    for table in visible_tables(policy_for(ctx.policies, conn.name), reflected):
        if table.kind in kinds:
            yield _Candidate(table.kind, table.name, table.schema, table)
        if "column" in kinds:
            yield from (_Candidate("column", c.name, table.schema, table, i) for i, c in enumerate(table.columns))


def _matches(candidate: _Candidate, pattern: str) -> bool:
    names = [fold(candidate.name), fold(candidate.label)]
    if any(ch in pattern for ch in "*?["):
        return any(fnmatch.fnmatchcase(name, pattern) for name in names)
    return any(pattern in name for name in names)


def _score(candidate: _Candidate, question: Question) -> float:
    if candidate.table is None:
        return 0.0
    if candidate.column is not None:
        return score_column(candidate.table, candidate.column, question)
    return score_table(candidate.table, question)


def _select(candidates: list[_Candidate], params: SearchSchemaInput) -> list[_Candidate]:
    pattern = fold(params.pattern.strip()) if params.pattern and params.pattern.strip() else ""
    if pattern:
        candidates = [c for c in candidates if _matches(c, pattern)]
    question = Question.parse(params.question or "")
    if question.empty:
        return candidates
    scored = [(c, _score(c, question)) for c in candidates]
    relevant = [(c, s) for c, s in scored if s > 0]
    if not relevant:
        return candidates
    order = sorted(range(len(relevant)), key=lambda i: -relevant[i][1])
    return [relevant[i][0] for i in order]


def _columns_text(table: TableInfo) -> str:
    text = ", ".join(c.name for c in table.columns)
    return text if len(text) <= _SUMMARY_COLUMNS_CHARS else text[: _SUMMARY_COLUMNS_CHARS - 1] + "…"


def _column_detail(table: TableInfo, column: ColumnInfo) -> str:
    parts = [column.type]
    if table.primary_key == [column.name]:
        parts.append("PK")
    elif not column.nullable:
        parts.append("NOT NULL")
    for fk in table.foreign_keys:
        if fk.columns == [column.name]:
            parts.append(f"-> {fk.referred_table}.{fk.referred_columns[0]}")
    notes = [column.comment.replace("\n", " ")[:120]] if column.comment else []
    if column.samples:
        notes.append("valores: " + ", ".join(column.samples) + (", …" if column.more_values else ""))
    return " ".join(p for p in parts if p) + (f"  -- {'; '.join(notes)}" if notes else "")


def _item(candidate: _Candidate, params: SearchSchemaInput) -> tuple[SchemaObject, str]:
    """The structured item and its text line(s) at the requested detail."""
    table, detail = candidate.table, params.detail
    item = SchemaObject(kind=candidate.kind, name=candidate.name, schema_=candidate.schema)
    if candidate.kind == "schema" or table is None:
        return item, f"{candidate.name} (schema)"
    if candidate.column is not None:
        column = table.columns[candidate.column]
        item.table = table.name
        line = candidate.label
        if detail == "summary":
            item.type = column.type or None
            line += f" {column.type}"
        elif detail == "full":
            item.type, item.comment = column.type or None, column.comment
            item.ddl = _column_detail(table, column)
            line += f" {item.ddl}"
        return item, line
    marker = " (view)" if candidate.kind == "view" else ""
    if detail == "names":
        return item, candidate.label + marker
    item.row_count, item.comment = table.row_count, table.comment
    if detail == "summary":
        item.columns = [c.name for c in table.columns]
        rows = f" (~{table.row_count} linhas)" if table.row_count is not None else ""
        return item, f"{candidate.label}{marker}{rows}: {_columns_text(table)}"
    item.ddl = "\n".join(table_block(table))
    return item, item.ddl


def search_schema(params: SearchSchemaInput, ctx: ToolContext) -> SchemaSearchResult:
    """List or search the database's schemas, tables, views and columns: the cheap first step on a big database.

    Returns one page of matching objects, names only by default (a few bytes each), then `next_offset` to get
    the next page and `total` (how many match). Filter by `kinds`, by a name `pattern` (glob or plain text)
    and/or rank by the user's `question` (unrelated objects are left out when anything matches). Use
    `detail="summary"` to see row counts and column names, `detail="full"` for the DDL of a few tables, or
    call inspect_schema with `tables=[...]` for the tables you picked. Example: find the table of late orders
    with `question="pedidos atrasados", limit=5`, or every column named like a CPF with
    `kinds=["column"], pattern="*cpf*"`.
    """
    conn = resolve_connection(ctx, params.connection)
    selected = _select(list(_candidates(ctx, conn, params)), params)
    total = len(selected)
    page = selected[params.offset : params.offset + params.limit]
    header = f"-- {total} objeto(s) encontrados em {conn.name} ({conn.dialect})"
    lines = [header]
    used = len(header) + _FOOTER_RESERVE
    items: list[SchemaObject] = []
    for candidate in page:
        item, line = _item(candidate, params)
        if items and used + len(line) + 1 > params.budget:
            break
        if not items and used + len(line) + 1 > params.budget:  # one huge DDL: keep its start
            line = line[: max(0, params.budget - used - 2)] + "…"
            item.ddl = line if item.ddl else None
        items.append(item)
        lines.append(line)
        used += len(line) + 1
    end = params.offset + len(items)
    next_offset = end if end < total else None
    if not items:
        lines.append("-- nenhum objeto nesta página" if total else "-- nenhum objeto corresponde aos filtros")
    if next_offset is not None:
        lines.append(f"-- mostrando {params.offset + 1}-{end} de {total}; próxima página: offset={next_offset}")
    return SchemaSearchResult(
        connection=conn.name,
        dialect=conn.dialect,
        total=total,
        offset=params.offset,
        items=items,
        next_offset=next_offset,
        text="\n".join(lines),
    )
