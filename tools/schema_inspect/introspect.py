"""Reflect tables and views of one connection into ``TableInfo`` models (SQLAlchemy multi-table APIs)."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.reflection import Inspector, ObjectKind

from tools.db.pgpath import BUILTINS_FIRST_SQL
from tools.errors import InvalidInputError, UnsafeQueryError
from tools.schema_inspect.joins import confirm_by_values, infer_foreign_keys
from tools.schema_inspect.models import ColumnInfo, ForeignKeyInfo, IndexInfo, TableInfo
from tools.schema_inspect.stats import fill_row_counts, fill_samples, text_column_names

log = logging.getLogger(__name__)

_SHOWN_WHEN_NOT_FOUND = 15


def select_names(available: Sequence[str], patterns: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Names matching any pattern (exact, case-insensitive or glob) and the patterns that matched nothing."""
    if not patterns:
        return list(available), []
    lowered = {name: name.lower() for name in available}
    selected: dict[str, None] = {}
    missing: list[str] = []
    for pattern in patterns:
        wanted = pattern.strip().lower()
        if "." in wanted and not any("." in n for n in lowered.values()):
            wanted = wanted.rsplit(".", 1)[1]  # "public.clientes" -> "clientes"
        hits = [n for n, low in lowered.items() if fnmatch.fnmatchcase(low, wanted)]
        if not hits:
            missing.append(pattern)
        selected.update(dict.fromkeys(hits))
    return [n for n in available if n in selected], missing


def _discard_session(conn: Connection) -> None:
    """``DISCARD ALL`` (outside a transaction, as it must be): a view or policy the inspection read may have left a
    session advisory lock, a setting or a temp table behind; the pooled connection must not keep them."""
    dbapi: Any = conn.connection.dbapi_connection
    previous = dbapi.autocommit
    try:
        dbapi.autocommit = True
        with dbapi.cursor() as cursor:
            cursor.execute("DISCARD ALL")
        dbapi.autocommit = previous
    except Exception as error:  # a session that cannot be reset must not go back to the pool
        log.warning("could not reset the inspection session, discarding the connection: %s", type(error).__name__)
        conn.invalidate()


_SHADOWING_FUNCTIONS = """
SELECT DISTINCT pg_catalog.concat(n.nspname, '.', p.proname) FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
WHERE n.nspname OPERATOR(pg_catalog.=) ANY (pg_catalog.current_schemas(false))
AND n.nspname OPERATOR(pg_catalog.<>) 'pg_catalog'
AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc b WHERE b.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
            AND b.proname OPERATOR(pg_catalog.=) p.proname)
AND NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_proc'::regclass
                 AND d.objid OPERATOR(pg_catalog.=) p.oid
                 AND d.refclassid OPERATOR(pg_catalog.=) 'pg_extension'::regclass
                 AND d.deptype OPERATOR(pg_catalog.=) 'e')
         AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) p.proowner AND r.rolsuper))
ORDER BY 1
"""


def refuse_shadowing_functions(conn: Connection) -> None:
    """PostgreSQL, privileged login: refuse to reflect when a schema on the search path overloads a built-in.

    SQLAlchemy's reflection SQL calls built-ins unqualified (``unnest(conkey)``, ...): an exact-type overload of
    a low-privilege role (``public.unnest(int2vector)``) would run with the privileged login's rights. Superusers'
    extensions are trusted like the built-ins (the rule of ``tools.safe_query.views``)."""
    found = [str(row[0]) for row in conn.exec_driver_sql(_SHADOWING_FUNCTIONS).fetchall()]
    if found:
        names = ", ".join(found[:8]) + (f" e mais {len(found) - 8}" if len(found) > 8 else "")
        raise UnsafeQueryError(
            f"Os esquemas desta conexão definem funções com o nome de funções embutidas ({names}); numa conexão "
            "privilegiada, ler a estrutura do banco poderia chamá-las com o login privilegiado. Renomeie-as ou use "
            "um login só de leitura.",
            detail={"code": "function_not_allowed", "functions": names},
        )


@contextmanager
def read_only(engine: Engine, timeout_s: float | None = None) -> Iterator[Connection]:
    """A connection inside a read-only transaction that is always rolled back.

    On PostgreSQL ``timeout_s`` also bounds every statement (``SET LOCAL statement_timeout``), so a table
    locked by a running migration cannot hang the inspection.
    """
    with engine.connect() as conn:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            # built-ins first, explicitly (a login or database search_path may list pg_catalog after public)
            conn.exec_driver_sql(BUILTINS_FIRST_SQL)
            if timeout_s:
                ms = f"{int(timeout_s * 1000)}"
                conn.execute(sa.text("SELECT pg_catalog.set_config('statement_timeout', :ms, true)"), {"ms": ms})
        elif dialect in ("mysql", "mariadb"):
            conn.exec_driver_sql("START TRANSACTION READ ONLY")
        try:
            yield conn
        finally:
            conn.rollback()
            if dialect == "postgresql":
                _discard_session(conn)


def _type_text(type_: sa.types.TypeEngine, dialect: sa.Dialect) -> str:
    try:
        return type_.compile(dialect=dialect)
    except sa.exc.CompileError:
        return str(type_.__class__.__name__).upper()


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_MYSQL_SHOW_VIEW_DENIED = 1142  # ER_TABLEACCESS_DENIED_ERROR: SHOW CREATE TABLE of a view without SHOW VIEW

_MYSQL_VIEW_COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME IN :names
ORDER BY TABLE_NAME, ORDINAL_POSITION
"""


def _show_view_denied(conn: Connection, error: sa.exc.DBAPIError) -> bool:
    """MariaDB/MySQL refused ``SHOW CREATE TABLE`` of a view: the login has SELECT but not SHOW VIEW."""
    code = error.orig.args[0] if error.orig is not None and error.orig.args else None
    return conn.dialect.name in ("mysql", "mariadb") and code == _MYSQL_SHOW_VIEW_DENIED


def _mysql_view_columns(conn: Connection, schema: str | None, views: list[str]) -> dict[tuple[str | None, str], list]:
    """Columns of ``views`` from information_schema, which lists them to a login that may SELECT from the view.

    SQLAlchemy reflects a MariaDB/MySQL view through ``SHOW CREATE TABLE``, which needs the SHOW VIEW privilege;
    a hand-made SELECT-only login (``GRANT SELECT ON db.*``) lacks it and every view would fail the inspection."""
    if not views:
        return {}
    query = sa.text(_MYSQL_VIEW_COLUMNS).bindparams(sa.bindparam("names", expanding=True))
    found: dict[tuple[str | None, str], list] = {(schema, name): [] for name in views}
    types: Mapping[str, type[sa.types.TypeEngine[Any]]] = getattr(conn.dialect, "ischema_names", {})
    for table, column, data_type, nullable, default, comment in conn.execute(query, {"schema": schema, "names": views}):
        type_class = types.get(str(data_type).lower(), sa.types.NullType)
        found[(schema, str(table))].append(
            {
                "name": str(column),
                "type": type_class(),
                "nullable": nullable == "YES",
                "default": default,
                "comment": comment or None,
            }
        )
    return found


def _columns(
    conn: Connection, inspector: Inspector, schema: str | None, names: list[str] | None, views: list[str]
) -> dict[tuple[str | None, str], list]:
    try:
        return dict(inspector.get_multi_columns(schema=schema, filter_names=names, kind=ObjectKind.ANY))
    except sa.exc.DBAPIError as error:
        if not _show_view_denied(conn, error):
            raise
    log.warning(
        "schema inspection: the login lacks SHOW VIEW; the columns of %d view(s) are read from information_schema",
        len(views),
    )
    columns = dict(inspector.get_multi_columns(schema=schema, filter_names=names, kind=ObjectKind.TABLE))
    columns.update(_mysql_view_columns(conn, schema, views))
    return columns


def _comments(
    conn: Connection, inspector: Inspector, schema: str | None, names: list[str] | None
) -> dict[str, str | None]:
    try:
        found = inspector.get_multi_table_comment(schema=schema, filter_names=names, kind=ObjectKind.ANY)
    except NotImplementedError:  # SQLite has no comments
        return {}
    except sa.exc.DBAPIError as error:
        if not _show_view_denied(conn, error):
            raise
        # a view has no comment on MariaDB/MySQL: the tables' comments are what is left to read
        found = inspector.get_multi_table_comment(schema=schema, filter_names=names, kind=ObjectKind.TABLE)
    return {key[1]: _text_or_none(value.get("text")) for key, value in found.items()}


def _indexes(reflected: Sequence[Mapping[str, Any]]) -> list[IndexInfo]:
    result = []
    for ix in reflected:
        name = ix.get("name")
        if name and name.startswith("sqlite_autoindex_"):
            name = None  # SQLite's index behind a UNIQUE constraint: the generated name means nothing
        result.append(IndexInfo(name=name, columns=[c for c in ix["column_names"] if c], unique=bool(ix["unique"])))
    return result


def _check_schema(inspector: Inspector, schema: str) -> None:
    existing = inspector.get_schema_names()
    if schema not in existing:
        shown = ", ".join(existing[:_SHOWN_WHEN_NOT_FOUND])
        raise InvalidInputError(
            f"O schema '{schema}' não existe neste banco. Schemas existentes: {shown}.",
            detail={"schema": schema, "available": existing[:50]},
        )


def reflect(
    conn: Connection, *, schema: str | None = None, tables: Sequence[str] | None = None, samples: bool = True
) -> tuple[list[TableInfo], list[str]]:
    """Tables and views of ``schema`` (default schema when None), filtered by ``tables`` patterns.

    Returns the ``TableInfo`` list (base tables and views, by name) and the patterns that matched
    nothing. Raises ``InvalidInputError`` (pt-BR) when a filter is given and nothing matches.
    """
    inspector = sa.inspect(conn)
    if schema is not None:
        _check_schema(inspector, schema)
    table_names = inspector.get_table_names(schema=schema)
    view_names = list(inspector.get_view_names(schema=schema))
    if conn.dialect.name == "postgresql":
        view_names += inspector.get_materialized_view_names(schema=schema)
    kinds = {**dict.fromkeys(view_names, "view"), **dict.fromkeys(table_names, "table")}
    available = sorted(kinds, key=str.lower)
    selected, missing = select_names(available, tables)
    if tables and not selected:
        shown = ", ".join(available[:_SHOWN_WHEN_NOT_FOUND]) or "(nenhuma)"
        more = f" e mais {len(available) - _SHOWN_WHEN_NOT_FOUND}" if len(available) > _SHOWN_WHEN_NOT_FOUND else ""
        raise InvalidInputError(
            f"Nenhuma tabela corresponde a {', '.join(tables)}. Tabelas existentes: {shown}{more}.",
            detail={"requested": list(tables), "available": available[:50]},
        )
    if not selected:
        return [], missing
    # filter_names=None lets the dialect use one catalog query for everything (much faster).
    names = selected if tables else None
    columns = _columns(conn, inspector, schema, names, [name for name in selected if kinds[name] == "view"])
    pks = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
    fks = inspector.get_multi_foreign_keys(schema=schema, filter_names=names)
    # SQLite: UNIQUE constraints only show up as "auto indexes" (much cheaper than parsing each CREATE TABLE).
    index_kw: dict[str, Any] = {"include_auto_indexes": True} if conn.dialect.name == "sqlite" else {}
    indexes = inspector.get_multi_indexes(schema=schema, filter_names=names, **index_kw)
    comments = _comments(conn, inspector, schema, names)

    wanted = set(selected)
    result: list[TableInfo] = []
    text_columns: dict[str, list[str]] = {}
    for (_, name), cols in sorted(columns.items(), key=lambda item: item[0][1].lower()):
        if name not in wanted:
            continue
        key = (schema, name)
        pk: Mapping[str, Any] = pks.get(key) or {}
        info = TableInfo(
            name=name,
            schema_=schema,
            kind=kinds.get(name, "table"),  # type: ignore[arg-type]  # kinds holds only the Literal's values
            columns=[
                ColumnInfo(
                    name=c["name"],
                    type=_type_text(c["type"], conn.dialect),
                    nullable=bool(c.get("nullable", True)),
                    default=_text_or_none(c.get("default")),
                    comment=_text_or_none(c.get("comment")),
                )
                for c in cols
            ],
            primary_key=list(pk.get("constrained_columns") or []),
            foreign_keys=[
                ForeignKeyInfo(
                    name=fk.get("name"),
                    columns=list(fk["constrained_columns"]),
                    referred_schema=fk.get("referred_schema"),
                    referred_table=fk["referred_table"],
                    referred_columns=list(fk["referred_columns"]),
                )
                for fk in fks.get(key, [])
            ],
            indexes=_indexes(indexes.get(key, [])),
            comment=comments.get(name),
        )
        result.append(info)
        text_columns[name] = text_column_names(cols)
    fill_row_counts(conn, result, schema)
    if infer_foreign_keys(result):
        confirm_by_values(conn, result)
    if samples:
        fill_samples(conn, result, text_columns)
    return result, missing
