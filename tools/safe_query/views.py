"""Privileged connections (the operator's opt-out): look inside every view a query reads, recursively.

On a least-privilege login a view can do no more than its reader may. On a privileged one (``allow_privileged``) the
validator is the only barrier, and it cannot see inside a view: a view created by another role that calls
``pg_read_file`` or ``LOAD_FILE`` runs with vozbd's rights. So, in the pinned session, before the statement runs:

- PostgreSQL: each relation the query names is resolved (``to_regclass`` under the pinned search path); a view is
  locked (``ACCESS SHARE``: nobody can replace it until the statement ends), its definition read with
  ``pg_get_viewdef`` under ``search_path = pg_catalog`` (every function and table outside ``pg_catalog`` is then
  printed schema-qualified, so a user function never passes for a built-in) and validated like the query itself
  (same allowlist, same schemas), then its own views in turn. Foreign tables are refused (they read through the
  privileged login's user mapping). Functions of the connection's schemas that share a name with a function the
  query or a view calls are refused too (PostgreSQL may prefer such an overload to the built-in).
- MariaDB/MySQL: each view's ``VIEW_DEFINITION`` (information_schema) is validated the same way; a view whose
  definition the login cannot read is refused. (MariaDB has no lock that pins a view's definition for the rest of
  the transaction: a view replaced between the check and the statement is the remaining window.)

Views of ``pg_catalog``/``information_schema`` are the server's own and are not inspected.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy import Connection, text
from sqlglot import exp

from tools.errors import UnsafeQueryError
from tools.safe_query.allowcheck import function_name

MAX_DEPTH = 8
"""Views of views deeper than this are refused (a definition that cycles through renames, or a pathological stack)."""
_SYSTEM = frozenset({"pg_catalog", "information_schema", "mysql", "performance_schema", "sys"})


def view_guard(
    dialect: str,
    tree: exp.Expr | None,
    database: str | None,
    schemas: Collection[str] | None,
    validate: Callable[..., object],
) -> Callable[[Connection], None] | None:
    """The pre-flight check of ``tree``'s views for ``execute_readonly`` (None when there is nothing to check).

    ``validate`` is ``tools.safe_query.validator.validate`` (passed in: the validator imports nothing from here).
    """
    if dialect not in ("postgres", "mysql") or tree is None:
        return None

    def check(db: Connection) -> None:
        guard = _Guard(db, dialect, database, schemas, validate)
        guard.check(tree, depth=0)
        if dialect == "postgres":
            guard.check_shadowed_functions()

    return check


def _ident(node: exp.Expr | None) -> str:
    """An identifier as the server stores it (PostgreSQL folds unquoted names to lower case)."""
    if not isinstance(node, exp.Identifier):
        return ""
    return node.name if node.quoted else node.name.lower()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _refuse(message: str, **detail: object) -> UnsafeQueryError:
    return UnsafeQueryError(message, detail={"code": "view_not_allowed", **detail})


class _Guard:
    def __init__(
        self,
        db: Connection,
        dialect: str,
        database: str | None,
        schemas: Collection[str] | None,
        validate: Callable[..., object],
    ) -> None:
        self.db, self.dialect, self.database, self.schemas, self.validate = db, dialect, database, schemas, validate
        self.seen: set[str] = set()
        self.functions: set[str] = set()

    def check(self, tree: exp.Expr, *, depth: int) -> None:
        self.functions |= {function_name(f) for f in tree.find_all(exp.Func)}
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier):
                continue  # a table function: checked by the allowlist
            if not table.db and table.name.lower() in ctes:
                continue
            definition = self._definition(table)
            if definition is None:
                continue
            name, sql = definition
            if depth >= MAX_DEPTH:
                raise _refuse(f"A visão {name} é composta de visões demais (mais de {MAX_DEPTH} níveis).", view=name)
            try:
                inner = self.validate(sql, self.dialect, self.database, schemas=self.schemas)
            except UnsafeQueryError as error:
                raise _refuse(
                    f"A visão {name} não pode ser lida por uma conexão privilegiada: por dentro, ela {error.message}",
                    view=name,
                    inner=error.detail.get("code"),
                ) from None
            inner_tree = getattr(inner, "tree", None)
            if isinstance(inner_tree, exp.Expr):
                self.check(inner_tree, depth=depth + 1)

    def _definition(self, table: exp.Table) -> tuple[str, str] | None:
        """``(qualified name, SQL)`` when ``table`` is a view to inspect; None for tables and system views."""
        if self.dialect == "postgres":
            return self._pg_definition(table)
        return self._mysql_definition(table)

    def _pg_definition(self, table: exp.Table) -> tuple[str, str] | None:
        parts = [p for p in (_ident(table.args.get("db")), _ident(table.this)) if p]
        qualified = ".".join(_quote(p) for p in parts)
        row = self.db.execute(
            text(
                "SELECT c.oid, c.relkind, n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(:name)"
            ),
            {"name": qualified},
        ).fetchone()
        if row is None:
            return None  # no such relation: the statement itself will say so
        oid, kind, schema, relname = row
        name = f"{schema}.{relname}"
        if schema in _SYSTEM or name in self.seen:
            return None
        self.seen.add(name)
        if kind == "f":
            raise _refuse(
                f"A tabela externa {name} lê dados por outro servidor com o login privilegiado e não é aceita numa "
                "conexão privilegiada.",
                view=name,
            )
        if kind != "v":
            return None
        self.db.execute(text(f"LOCK TABLE {_quote(schema)}.{_quote(relname)} IN ACCESS SHARE MODE"))
        saved = self.db.execute(text("SELECT current_setting('search_path')")).scalar()
        self.db.execute(text("SELECT set_config('search_path', 'pg_catalog', true)"))
        try:
            sql = self.db.execute(text("SELECT pg_get_viewdef(:oid)"), {"oid": oid}).scalar()
        finally:
            self.db.execute(text("SELECT set_config('search_path', :path, true)"), {"path": saved})
        return name, str(sql or "").strip().rstrip(";")

    def _mysql_definition(self, table: exp.Table) -> tuple[str, str] | None:
        schema = table.db or self.database or ""
        if schema.lower() in _SYSTEM:
            return None
        row = self.db.execute(
            text(
                "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :name"
            ),
            {"schema": schema, "name": table.name},
        ).fetchone()
        name = f"{schema}.{table.name}"
        if row is None or str(row[0]).upper() != "VIEW" or name.lower() in self.seen:
            return None
        self.seen.add(name.lower())
        definition = self.db.execute(
            text(
                "SELECT VIEW_DEFINITION FROM information_schema.VIEWS "
                "WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :name"
            ),
            {"schema": schema, "name": table.name},
        ).scalar()
        if not definition:
            raise _refuse(
                f"A definição da visão {name} não pode ser lida por este login; numa conexão privilegiada, o vozbd só "
                "consulta visões cuja definição ele confere.",
                view=name,
            )
        return name, str(definition)

    def check_shadowed_functions(self) -> None:
        """Refuse when a schema of the connection defines a function named like one the query calls."""
        if not self.functions:
            return
        shadowing = self.db.execute(
            text(
                "SELECT DISTINCT n.nspname || '.' || p.proname FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = ANY (current_schemas(false)) AND n.nspname <> 'pg_catalog' "
                "AND lower(p.proname) = ANY (:names) "
                "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
                "AND d.objid = p.oid AND d.deptype = 'e')"
            ),
            {"names": sorted(self.functions)},
        ).fetchall()
        if shadowing:
            names = ", ".join(sorted(str(r[0]) for r in shadowing))
            raise _refuse(
                f"Os esquemas desta conexão definem funções com o nome de funções embutidas ({names}); numa conexão "
                "privilegiada o PostgreSQL poderia chamá-las no lugar das embutidas. Renomeie-as ou use um login só "
                "de leitura.",
                functions=names,
            )
