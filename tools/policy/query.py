"""The policy check of one validated statement, on sqlglot's qualified AST, and the masking of its results.

``qualify`` (with the connection's reflected columns) expands ``*`` and ``t.*`` and ties every column to its
source; each scope (CTE, subquery, UNION branch) is then walked inner first:

- a table outside ``allowed_tables`` or inside ``denied_tables`` anywhere → refused;
- a denied column anywhere (projection, WHERE, JOIN, function argument, ``*`` expansion) → refused;
- a masked column only as a plain projection (``SELECT cpf``, ``SELECT c.cpf AS doc``, passed up through
  CTEs/subqueries the same way); anywhere else (WHERE, GROUP BY, ORDER BY, functions, joins) → refused, since
  filtering or transforming a masked value leaks it. The outer query's masked outputs are replaced by •••;
- a column whose table cannot be told (no schema for it) whose name a denied/masked pattern could mean →
  refused; a ``*`` left unexpanded → refused; catalogs (information_schema, pg_catalog, mysql, sys,
  sqlite_master...) → refused whenever the policy hides or masks anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from tools.errors import DatabaseError, UnsafeQueryError
from tools.policy.model import MASK, ConnectionPolicy
from tools.schema_inspect.models import TableInfo

CATALOGS = frozenset(
    {"information_schema", "pg_catalog", "mysql", "sys", "performance_schema", "sqlite_master", "sqlite_schema"}
)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\((?:[^()]{0,200})\)=\((?:[^()]{0,200})\)")


def _refuse(message: str, **detail: Any) -> UnsafeQueryError:
    return UnsafeQueryError(message, code="policy_denied", detail=detail)


def _mapping(tables: Sequence[TableInfo]) -> dict[str, Any]:
    """sqlglot's schema mapping: {table: {column: type}} (or {schema: {table: ...}} when tables carry one)."""
    plain: dict[str, dict[str, str]] = {}
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for table in tables:
        columns = {c.name: "TEXT" for c in table.columns}
        if table.schema:
            nested.setdefault(table.schema, {})[table.name] = columns
        else:
            plain[table.name] = columns
    return nested or plain


class _Checker:
    def __init__(self, policy: ConnectionPolicy, default_schema: str | None):
        self.policy = policy
        self.default_schema = default_schema
        self.masked_outputs: dict[int, set[str]] = {}
        self.real_tables: list[exp.Table] = []

    def _table_name(self, table: exp.Table) -> tuple[str, str | None]:
        return table.name, table.db or None

    def check_tables(self, scope: Scope) -> None:
        for source in scope.sources.values():
            if not isinstance(source, exp.Table):
                continue
            name, schema = self._table_name(source)
            if (schema or "").lower() in CATALOGS or name.lower() in CATALOGS:
                raise _refuse(
                    "Esta conexão tem uma política de acesso: consultas ao catálogo do banco não são permitidas. "
                    "Use search_schema ou inspect_schema para ver as tabelas.",
                    reason="catalog",
                )
            if not self.policy.table_allowed(name, schema):
                raise _refuse(
                    f"A tabela '{name}' não está disponível nesta conexão (política de acesso).",
                    reason="table",
                    table=name,
                )
            self.real_tables.append(source)

    def _column_source(self, column: exp.Column, scope: Scope) -> exp.Table | Scope | None:
        source = scope.sources.get(column.table) if column.table else None
        if source is None and not column.table and len(scope.sources) == 1:
            source = next(iter(scope.sources.values()))
        return source

    def _is_projection(self, column: exp.Column, scope: Scope) -> bool:
        parent = column.parent
        if isinstance(parent, exp.Alias):
            parent = parent.parent
        return parent is scope.expression and column.arg_key in ("expressions", "this")

    def check_columns(self, scope: Scope) -> None:
        for column in scope.columns:
            source = self._column_source(column, scope)
            if isinstance(source, exp.Table):
                name, schema = self._table_name(source)
                denied = self.policy.column_denied(name, column.name, schema)
                masked = self.policy.column_masked(name, column.name, schema)
            elif isinstance(source, Scope):
                denied, masked = False, column.name.lower() in self.masked_outputs.get(id(source), set())
            else:
                if self.policy.name_is_protected(column.name):
                    raise _refuse(
                        f"Não foi possível saber de que tabela vem a coluna '{column.name}', protegida pela política "
                        "de acesso desta conexão. Qualifique-a com o nome da tabela.",
                        reason="ambiguous",
                        column=column.name,
                    )
                continue
            if denied:
                raise _refuse(
                    f"A coluna '{column.name}' não está disponível nesta conexão (política de acesso).",
                    reason="column",
                    column=column.name,
                )
            if masked and not self._is_projection(column, scope):
                raise _refuse(
                    f"A coluna '{column.name}' é mascarada nesta conexão: ela só pode ser listada (os valores "
                    "aparecem como •••), não usada em filtros, junções, agrupamentos, ordenação ou funções.",
                    reason="masked_usage",
                    column=column.name,
                )

    def outputs(self, scope: Scope) -> list[tuple[str, bool]]:
        """(output name, masked) of each projection of the scope, in order."""
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            branches = [self.outputs(s) for s in scope.set_operation_scopes]
            first = branches[0] if branches else []
            return [(name, any(b[i][1] for b in branches if i < len(b))) for i, (name, _) in enumerate(first)]
        if not isinstance(expression, exp.Select):
            return []
        result = []
        for projection in expression.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                raise _refuse(
                    "Esta conexão tem uma política de acesso e não foi possível expandir o '*': liste as colunas.",
                    reason="star",
                )
            inner = projection.unalias()
            masked = False
            if isinstance(inner, exp.Column):
                source = self._column_source(inner, scope)
                if isinstance(source, exp.Table):
                    name, schema = self._table_name(source)
                    masked = self.policy.column_masked(name, inner.name, schema)
                elif isinstance(source, Scope):
                    masked = inner.name.lower() in self.masked_outputs.get(id(source), set())
            result.append((projection.alias_or_name, masked))
        return result

    def check_whole_rows(self, tree: exp.Expr, scopes: list[Scope]) -> None:
        """``row_to_json(c)``, ``to_jsonb(c.*)``, ``SELECT c FROM clientes c``: a whole row carries every column."""
        for star in tree.find_all(exp.Star):
            if not isinstance(star.parent, exp.Count):
                raise _refuse(
                    "Esta conexão tem uma política de acesso: '*' só vale em SELECT * e COUNT(*); liste as colunas.",
                    reason="star",
                )
        if tree.find(exp.TableColumn) is not None:
            raise _refuse("Uma linha inteira de tabela não pode ser lida aqui: liste as colunas.", reason="whole_row")
        aliases = {name.lower() for scope in scopes for name in scope.sources}
        for column in tree.find_all(exp.Column):
            if not column.table and column.name.lower() in aliases:
                raise _refuse(
                    f"'{column.name}' é uma linha inteira de tabela: liste as colunas que quer ler.",
                    reason="whole_row",
                )

    def run(self, tree: exp.Expr) -> list[int]:
        scopes = traverse_scope(tree)
        if not scopes:
            raise _refuse("Consulta não suportada por esta conexão com política de acesso.", reason="scope")
        self.check_whole_rows(tree, scopes)
        for scope in scopes:  # inner scopes first
            self.check_tables(scope)
            self.check_columns(scope)
            self.masked_outputs[id(scope)] = {name.lower() for name, masked in self.outputs(scope) if masked}
        root = scopes[-1]
        return [i for i, (_, masked) in enumerate(self.outputs(root)) if masked]


def check_query(
    tree: exp.Expr | None, dialect: str, policy: ConnectionPolicy, tables: Sequence[TableInfo]
) -> list[int]:
    """Refuse (``UnsafeQueryError`` code ``policy_denied``) what the policy forbids; else the indexes of the
    result columns to mask. ``tree`` is the validated query; ``tables`` the connection's reflected tables."""
    if tree is None:
        raise _refuse(
            "Esta conexão tem uma política de acesso: só consultas SELECT são aceitas (sem SHOW/DESCRIBE).",
            reason="command",
        )
    try:
        qualified = qualify(
            tree.copy(),
            schema=_mapping(tables),
            dialect=dialect,
            expand_stars=True,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
    except SqlglotError as error:
        raise _refuse(
            "Não foi possível verificar esta consulta contra a política de acesso da conexão; simplifique-a "
            "(liste as colunas e qualifique-as com o nome da tabela).",
            reason="qualify",
            error=str(error)[:200],
        ) from None
    return _Checker(policy, None).run(qualified)


def mask_rows(rows: list[list[Any]], masked: Sequence[int]) -> list[list[Any]]:
    if not masked:
        return rows
    return [[MASK if i in masked and value is not None else value for i, value in enumerate(row)] for row in rows]


def scrub_error(error: DatabaseError) -> DatabaseError:
    """The same error with quoted values removed from its message (a database may echo data in errors)."""
    message = _QUOTED.sub("•••", error.message)
    scrubbed = type(error)(message, code=error.code, detail={k: v for k, v in error.detail.items() if k != "sql"})
    return scrubbed
