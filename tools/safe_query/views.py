"""Privileged connections (the operator's opt-out): look inside every view a query reads, recursively.

On a least-privilege login a view can do no more than its reader may. On a privileged one (``allow_privileged``) the
validator is the only barrier, and it cannot see inside a view: a view created by another role that calls
``pg_read_file`` or ``LOAD_FILE`` runs with vozbd's rights. So, in the pinned session, before the statement runs:

- PostgreSQL: each relation the query names is resolved (``to_regclass`` under the pinned search path) and locked
  (``ACCESS SHARE``: nobody can replace a view, or drop a table and put a view in its place, until the statement
  ends). A view's definition is read with ``pg_get_viewdef`` under ``search_path = pg_catalog`` (every function,
  operator and table outside ``pg_catalog`` is then printed schema-qualified, so nothing of a user passes for a
  built-in) and validated like the query itself (same allowlist, same schemas), then its own views in turn. Foreign
  tables are refused (they read through the privileged login's user mapping). Then the code PostgreSQL runs without
  the query calling it by name:

  - row-level-security policies (``pg_policy``, SELECT and ALL) of every table read: each expression, printed the
    same way, is validated like the query (a superuser or the owner skips policies; other privileged logins run
    them with their rights);
  - user operators: an operator of the connection's schemas (not a superuser's member of an extension) whose name the
    statement may use (every run of operator characters in its SQL, the operators behind LIKE/ILIKE/SIMILAR TO, and the
    comparisons joins/IN/GROUP BY/ORDER BY use implicitly) is refused: for operand types no built-in takes
    (``text + integer``) PostgreSQL would pick it;
  - user casts and domains: a cast to a domain (its CHECK runs) is refused, and so is any cast with a non-built-in
    function from a non-built-in type of a column read, or to a type the statement casts to;
  - functions of the connection's schemas that share a name with a function the query, a view or a policy calls
    (PostgreSQL may prefer such an overload to the built-in).

  Column DEFAULTs, generated columns, index expressions and triggers do not run on SELECT.
- MariaDB/MySQL: each view's ``VIEW_DEFINITION`` (information_schema) is validated the same way and put in the
  statement in the view's place, as a derived table under the view's name or alias, views of views recursively; a
  view whose definition the login cannot read is refused. MariaDB has no lock that pins a view's definition until
  the statement runs, so the statement that runs never names a view: a view replaced between the check and the
  statement changes nothing. A *table* dropped and replaced by a view in that window is caught after the
  statement: while it still holds its metadata locks, another connection re-reads the type of every base table it
  named, and the result is refused if one is now a view (the view's code ran inside the read-only transaction, its
  output is discarded).

Views of ``pg_catalog``/``information_schema`` are the server's own and are not inspected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlglot import exp

from tools.db.connect import side_engine
from tools.errors import UnsafeQueryError
from tools.safe_query.allowcheck import function_name
from tools.safe_query.dialects import generate

MAX_DEPTH = 8
"""Views of views deeper than this are refused (a definition that cycles through renames, or a pathological stack)."""
_LOCKABLE = frozenset({"r", "p", "v"})
"""pg_class.relkind of tables, partitioned tables and views."""
_SYSTEM = frozenset({"pg_catalog", "information_schema", "mysql", "performance_schema", "sys"})


def _trusted_extension_member(catalog: str, oid: str, owner: str) -> str:
    """SQL: the object is a member of an extension and is owned by a superuser. A trusted extension (``citext``...)
    that a login with CREATE installs belongs to that login, and so does what it adds to the extension later
    (``ALTER EXTENSION ... ADD`` of its own ``lower(varchar)``); the objects of the extension's own script are owned
    by the bootstrap superuser. Only those are trusted like the built-ins."""
    return (
        f"(EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid} "
        f"AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') "
        f"AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = {owner} AND r.rolsuper))"
    )


class ViewCheck:
    """The privileged connection's checks around one statement (``execute_readonly``'s ``preflight`` and
    ``postflight``).

    ``__call__(db)``, in the pinned transaction before the statement: PostgreSQL checks and locks (returns None);
    MariaDB/MySQL returns the statement with its views inlined. ``after(engine)``, once the rows are read, on another
    connection while the statement still holds its metadata locks: MariaDB/MySQL re-reads the type of every base
    table the statement named and refuses the result if one became a view between the check and the statement."""

    def __init__(
        self,
        dialect: str,
        tree: exp.Expr,
        database: str | None,
        schemas: Collection[str] | None,
        validate: Callable[..., object],
        prefix: str,
    ) -> None:
        self.dialect, self.tree, self.database, self.schemas, self.validate = dialect, tree, database, schemas, validate
        self.prefix = prefix
        self.base_tables: set[tuple[str, str]] = set()

    def __call__(self, db: Connection) -> str | None:
        guard = _Guard(db, self.dialect, self.database, self.schemas, self.validate)
        if self.dialect == "mysql":
            inlined = generate(guard.inline(self.tree.copy(), depth=0), self.dialect)
            self.validate(inlined, self.dialect, self.database, schemas=self.schemas)  # the whole text, once more
            self.base_tables = guard.base_tables
            return f"{self.prefix} {inlined}" if self.prefix else inlined
        guard.check(self.tree, depth=0)
        guard.check_shadowed_functions()
        guard.check_user_operators()
        guard.check_user_casts()
        return None

    def after(self, engine: Engine) -> None:
        if self.dialect != "mysql" or not self.base_tables:
            return
        with side_engine(engine).connect() as side:  # not ``engine``: its pool may be all held, by us among others
            kinds = {
                (schema, name): side.execute(
                    text(
                        "SELECT TABLE_TYPE FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :name"
                    ),
                    {"schema": schema, "name": name},
                ).scalar()
                for schema, name in sorted(self.base_tables)
            }
            side.rollback()
        for (schema, name), kind in kinds.items():
            if kind is not None and str(kind).upper() == "VIEW":
                raise _refuse(
                    f"A tabela {schema}.{name} foi trocada por uma visão enquanto a consulta rodava; o resultado foi "
                    "descartado. Tente de novo (a visão nova será conferida).",
                    view=f"{schema}.{name}",
                )


def names_a_cte(table: exp.Table, dialect: str) -> bool:
    """True when ``table`` names a CTE in its scope, False when it names a real relation (which must be checked).

    SQL scoping, not "some CTE somewhere has this name": a WITH covers its own query; inside the CTE bodies of a
    non-recursive WITH only the CTEs listed *before* are visible (a CTE body naming itself reads the real table);
    with RECURSIVE every CTE of the list is. Names compare as the server does: PostgreSQL folds unquoted names to
    lower case and keeps quoted ones (``"V"`` is not ``v``); MariaDB matches CTE names case-insensitively. A
    qualified name is never a CTE."""
    if table.args.get("db") or table.args.get("catalog"):
        return False
    name = _name_key(table.this, dialect)
    node: exp.Expr = table
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.With):  # the table is inside one of this WITH's CTE bodies (``node``)
            ctes = list(parent.expressions)
            visible = ctes if parent.args.get("recursive") else ctes[: next(i for i, c in enumerate(ctes) if c is node)]
            if name in _cte_names(visible, dialect):
                return True
        else:
            with_ = parent.args.get("with_")
            if isinstance(with_, exp.With) and with_ is not node and name in _cte_names(with_.expressions, dialect):
                return True
        node = parent
    return False


def _cte_names(ctes: list[exp.Expr], dialect: str) -> set[str]:
    names = set()
    for cte in ctes:
        alias = cte.args.get("alias")
        names.add(_name_key(alias.this if isinstance(alias, exp.TableAlias) else None, dialect))
    return names


def _name_key(identifier: object, dialect: str) -> str:
    if not isinstance(identifier, exp.Identifier):
        return ""
    if dialect == "postgres" and identifier.quoted:
        return identifier.name
    return identifier.name.lower()


def view_guard(
    dialect: str,
    tree: exp.Expr | None,
    database: str | None,
    schemas: Collection[str] | None,
    validate: Callable[..., object],
    prefix: str = "",
) -> ViewCheck | None:
    """The checks of ``tree``'s views and hidden code for ``execute_readonly`` (None when there is nothing to check).

    ``tree`` is the statement that will run; ``prefix`` (e.g. ``EXPLAIN``) goes before the inlined MariaDB text.
    ``validate`` is ``tools.safe_query.validator.validate`` (passed in: the validator imports nothing from here).
    """
    if dialect not in ("postgres", "mysql") or tree is None:
        return None
    return ViewCheck(dialect, tree, database, schemas, validate, prefix)


def _ident(node: exp.Expr | None) -> str:
    """An identifier as the server stores it (PostgreSQL folds unquoted names to lower case)."""
    if not isinstance(node, exp.Identifier):
        return ""
    return node.name if node.quoted else node.name.lower()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _refuse(message: str, code: str = "view_not_allowed", **detail: object) -> UnsafeQueryError:
    return UnsafeQueryError(message, detail={"code": code, **detail})


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
        self._path_schemas: list[str] | None = None
        self.seen: set[str] = set()
        self.functions: set[str] = set()
        self.operators: set[str] = set(IMPLICIT_OPERATORS)
        self.relations: list[int] = []
        self.base_tables: set[tuple[str, str]] = set()
        self.cast_targets: set[str] = set()

    def check(self, tree: exp.Expr, *, depth: int) -> None:
        self.functions |= {function_name(f) for f in tree.find_all(exp.Func)}
        if self.dialect == "postgres":  # ... and the names PostgreSQL will call (exp.Pad runs as LPAD, ...)
            self.functions |= called_names(tree)
        if self.dialect == "postgres":
            self.operators |= operator_symbols(tree)
            for datatype in tree.find_all(exp.DataType):
                if datatype.this == exp.DataType.Type.USERDEFINED:
                    self.cast_targets.add(datatype.sql("postgres"))
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier):
                continue  # a table function: checked by the allowlist
            if names_a_cte(table, self.dialect):
                continue
            definition = self._definition(table, depth)
            if definition is None:
                continue
            name, sql = definition
            inner_tree = self._validated_body(name, sql, depth)
            if isinstance(inner_tree, exp.Expr):
                self.check(inner_tree, depth=depth + 1)

    def _validated_body(self, name: str, sql: str, depth: int) -> object:
        """The parsed tree of view ``name``'s definition ``sql`` once it passes the validator, else a refusal."""
        if depth >= MAX_DEPTH:
            raise _refuse(f"A visão {name} é composta de visões demais (mais de {MAX_DEPTH} níveis).", view=name)
        try:
            inner = self.validate(sql, self.dialect, self.database, schemas=self.schemas)
        except UnsafeQueryError as error:
            raise _refuse(
                f"A visão {name} não pode ser lida por uma conexão privilegiada. Na definição dela: {error.message}",
                view=name,
                inner=error.detail.get("code"),
            ) from None
        return getattr(inner, "tree", None)

    def inline(self, tree: exp.Expr, *, depth: int) -> exp.Expr:
        """MariaDB/MySQL: ``tree`` (owned) with each view replaced by its validated definition, recursively.

        MariaDB has no lock that pins a view's definition from a check to the statement, so the statement never
        names a view: what runs is exactly the text that was validated, and a view replaced in between changes
        nothing."""
        for table in list(tree.find_all(exp.Table)):
            if not isinstance(table.this, exp.Identifier) or names_a_cte(table, self.dialect):
                continue
            definition = self._mysql_definition(table)
            if definition is None:
                continue
            name, sql = definition
            inner_tree = self._validated_body(name, sql, depth)
            if not isinstance(inner_tree, exp.Query):
                raise _refuse(f"A definição da visão {name} não é uma consulta que o vozbd saiba conferir.", view=name)
            body = self.inline(inner_tree.copy(), depth=depth + 1)
            alias = table.args.get("alias")
            if not isinstance(alias, exp.TableAlias):  # the view's own name: its columns may be qualified with it
                alias = exp.TableAlias(this=exp.to_identifier(table.name))
            table.replace(exp.Subquery(this=body, alias=alias.copy()))
        return tree

    def _definition(self, table: exp.Table, depth: int) -> tuple[str, str] | None:
        """``(qualified name, SQL)`` when ``table`` is a view to inspect; None for tables and system views."""
        if self.dialect == "postgres":
            return self._pg_definition(table, depth)
        return self._mysql_definition(table)

    def _pg_definition(self, table: exp.Table, depth: int) -> tuple[str, str] | None:
        parts = [p for p in (_ident(table.args.get("db")), _ident(table.this)) if p]
        qualified = ".".join(_quote(p) for p in parts)
        row = self.db.execute(
            text(
                "SELECT c.oid, c.relkind, n.nspname, c.relname, c.relrowsecurity FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
                "WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(CAST(:name AS pg_catalog.text))"
            ),
            {"name": qualified},
        ).fetchone()
        if row is None:
            return None  # no such relation: the statement itself will say so
        oid, kind, schema, relname, row_security = row
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
        # Tables and views are locked until the statement ends: nobody can replace a view, or drop a table and put
        # a view in its place, between this check and the statement (LOCK TABLE refuses materialized views and
        # sequences; they hold no code that runs on SELECT).
        if kind in _LOCKABLE:
            self.db.execute(text(f"LOCK TABLE {_quote(schema)}.{_quote(relname)} IN ACCESS SHARE MODE"))
        self.relations.append(int(oid))
        if row_security:
            self._check_policies(int(oid), name, depth)
        if kind != "v":
            return None
        sql = self._in_catalog_path("SELECT pg_get_viewdef(:oid)", {"oid": oid})
        return name, str(sql or "").strip().rstrip(";")

    def _in_catalog_path(self, sql: str, params: dict[str, object]) -> object:
        """One scalar of ``_catalog_rows``."""
        rows = self._catalog_rows(sql, params)
        return rows[0][0] if rows else None

    def _catalog_rows(self, sql: str, params: dict[str, object]) -> list[Any]:
        """Rows of a catalog query run with ``search_path = pg_catalog``. Its functions and operators then resolve
        among the built-ins only: PostgreSQL prefers an overload that matches the argument types more exactly
        wherever it lives, so a ``public.||(name, text)`` of another login would otherwise run inside vozbd's own
        check with the privileged login's rights. ``pg_get_viewdef``/``pg_get_expr`` also print every function,
        operator and relation outside ``pg_catalog`` schema-qualified, so nothing of a user passes for a built-in.
        The connection's own schemas are a parameter (``:schemas``), read before the path changes."""
        if self._path_schemas is None:
            found = self.db.execute(text("SELECT pg_catalog.current_schemas(false)")).scalar()
            self._path_schemas = list(found or [])
        saved = self.db.execute(text("SELECT pg_catalog.current_setting('search_path')")).scalar()
        self.db.execute(text("SELECT pg_catalog.set_config('search_path', 'pg_catalog', true)"))
        try:
            return list(self.db.execute(text(sql), {"schemas": self._path_schemas, **params}).fetchall())
        finally:
            self.db.execute(text("SELECT pg_catalog.set_config('search_path', :path, true)"), {"path": saved})

    def _check_policies(self, oid: int, name: str, depth: int) -> None:
        """Row-level security: each SELECT policy's expression runs inside the statement, with the login's rights
        (a superuser or the table's owner skips them, other privileged logins do not): validate it like the query."""
        policies = self._catalog_rows(
            "SELECT polname FROM pg_policy WHERE polrelid = :oid AND polcmd IN ('r', '*') "
            "AND polqual IS NOT NULL ORDER BY polname",
            {"oid": oid},
        )
        for (policy,) in policies:
            expression = self._in_catalog_path(
                "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = :oid AND polname = :name",
                {"oid": oid, "name": policy},
            )
            try:
                inner = self.validate(
                    f"SELECT 1 WHERE ({expression})", self.dialect, self.database, schemas=self.schemas
                )
            except UnsafeQueryError as error:
                raise _refuse(
                    f"A tabela {name} tem uma política de segurança por linha ({policy}) que não pode rodar numa "
                    f"conexão privilegiada. Na definição dela: {error.message}",
                    code="policy_not_allowed",
                    view=name,
                    policy=str(policy),
                    inner=error.detail.get("code"),
                ) from None
            inner_tree = getattr(inner, "tree", None)
            if isinstance(inner_tree, exp.Expr):
                if depth >= MAX_DEPTH:
                    raise _refuse(f"A política {policy} de {name} lê visões demais em cadeia.", view=name)
                self.check(inner_tree, depth=depth + 1)

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
        if row is not None and str(row[0]).upper() != "VIEW":
            self.base_tables.add((schema, table.name))  # re-read after the statement (``ViewCheck.after``)
        if row is None or str(row[0]).upper() != "VIEW":
            return None
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
        self._refuse_user_objects(
            "SELECT DISTINCT n.nspname || '.' || p.proname FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = ANY (CAST(:schemas AS name[])) AND n.nspname <> 'pg_catalog' "
            "AND lower(p.proname) = ANY (:names) "
            f"AND NOT {_trusted_extension_member('pg_proc', 'p.oid', 'p.proowner')}",
            {"names": sorted(self.functions)},
            "Os esquemas desta conexão definem funções com o nome de funções embutidas ({names}); numa conexão "
            "privilegiada o PostgreSQL poderia chamá-las no lugar das embutidas. Renomeie-as ou use um login só de "
            "leitura.",
            code="function_not_allowed",
            detail="functions",
        )

    def check_user_operators(self) -> None:
        """Refuse when a schema of the connection defines an operator named like one the statement may use.

        PostgreSQL resolves an operator by name and operand types over the search path: for operand types no
        built-in operator takes (``text + integer``), it picks a user's operator, whose function then runs with the
        privileged login's rights. Operators of superusers' extensions are trusted like the extension."""
        self._refuse_user_objects(
            "SELECT DISTINCT n.nspname || '.' || o.oprname FROM pg_operator o "
            "JOIN pg_namespace n ON n.oid = o.oprnamespace "
            "WHERE n.nspname = ANY (CAST(:schemas AS name[])) AND n.nspname <> 'pg_catalog' "
            "AND o.oprname = ANY (:names) "
            f"AND NOT {_trusted_extension_member('pg_operator', 'o.oid', 'o.oprowner')}",
            {"names": sorted(self.operators)},
            "Os esquemas desta conexão definem operadores próprios ({names}); numa conexão privilegiada o "
            "PostgreSQL poderia usá-los nesta consulta e rodar a função deles com o login privilegiado. Use um login "
            "só de leitura.",
            code="operator_not_allowed",
            detail="operators",
        )

    def check_user_casts(self) -> None:
        """Refuse casts to domains (their CHECK expressions run) and any cast with a user function (``CREATE CAST
        ... WITH FUNCTION``, which the owner of a type may create) that the statement can reach: from a non-built-in
        type of a column it reads (implicitly or on ``::``), or to a type it casts to explicitly. PostgreSQL calls
        that function with the privileged login's rights."""
        targets: set[int] = set()
        for target in sorted(self.cast_targets):
            row = self.db.execute(  # the connection's path: it resolves the user's type names
                text(
                    "SELECT t.oid, t.typtype FROM pg_catalog.pg_type t "
                    "WHERE t.oid OPERATOR(pg_catalog.=) pg_catalog.to_regtype(CAST(:name AS pg_catalog.text))"
                ),
                {"name": target},
            ).fetchone()
            if row is None:
                continue  # no such type: the statement itself will say so
            if row[1] == "d":
                raise _refuse(
                    f"A consulta converte valores para o domínio {target}, cujas regras (CHECK) rodariam com o login "
                    "privilegiado; numa conexão privilegiada só são aceitas conversões para tipos embutidos.",
                    code="cast_not_allowed",
                    type=target,
                )
            targets.add(int(row[0]))
        # Values of these types reach the statement: the columns it reads and the types it casts to (a literal
        # 'a'::t, an array element, a row type's field), down through domains, arrays and row types.
        rows = self._catalog_rows(
            (
                "WITH RECURSIVE parts(oid) AS ("
                " SELECT a.atttypid FROM pg_catalog.pg_attribute a"
                " WHERE a.attrelid OPERATOR(pg_catalog.=) ANY (CAST(:oids AS pg_catalog.oid[]))"
                " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
                " UNION SELECT pg_catalog.unnest(CAST(:targets AS pg_catalog.oid[]))"
                " UNION SELECT s.x FROM parts p JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) p.oid,"
                " LATERAL (SELECT t.typbasetype UNION ALL SELECT t.typelem UNION ALL SELECT a.atttypid"
                "  FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) t.typrelid"
                "  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) s(x)"
                "  WHERE s.x OPERATOR(pg_catalog.<>) CAST(0 AS pg_catalog.oid)) "
                "SELECT DISTINCT p.oid FROM parts p JOIN pg_catalog.pg_type u ON u.oid OPERATOR(pg_catalog.=) p.oid "
                "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) u.typnamespace "
                "WHERE n.nspname OPERATOR(pg_catalog.<>) 'pg_catalog'"
            ),
            {"oids": self.relations, "targets": sorted(targets)},
        )
        sources = {int(row[0]) for row in rows}
        if not sources and not targets:
            return
        self._refuse_user_objects(
            "SELECT DISTINCT format_type(c.castsource, NULL) || ' -> ' || format_type(c.casttarget, NULL) "
            "FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname <> 'pg_catalog' AND (c.castsource = ANY (:sources) OR c.casttarget = ANY (:targets)) "
            f"AND NOT {_trusted_extension_member('pg_proc', 'p.oid', 'p.proowner')}",
            {"sources": sorted(sources), "targets": sorted(targets)},
            "Os tipos que esta consulta lê ou converte têm conversões (CAST) definidas por usuários ({names}); "
            "numa conexão privilegiada a função delas rodaria com o login privilegiado. Use um login só de leitura.",
            code="cast_not_allowed",
            detail="casts",
        )

    def _refuse_user_objects(
        self, sql: str, params: dict[str, object], message: str, *, code: str, detail: str
    ) -> None:
        """Refuse when the catalog query ``sql`` (one text column: a user object's name) finds anything: the sorted
        names go in the pt-BR ``message`` (at ``{names}``) and in the error's detail under the key ``detail``."""
        found = sorted(str(row[0]) for row in self._catalog_rows(sql, params))
        if found:
            names = ", ".join(found)
            raise _refuse(message.format(names=names), code=code, **{detail: names})


IMPLICIT_OPERATORS = frozenset({"=", "<>", "<", ">", "<=", ">="})
"""Operators a statement may use without writing them: joins, IN, GROUP BY/DISTINCT, ORDER BY, CASE x WHEN."""
_STRING_OR_NAME = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_OPERATOR_RUN = re.compile(r"[+\-*/<>=~!@#%^&|`?]+")
_KEYWORD_OPERATORS = {"LIKE": ("~~", "!~~"), "ILIKE": ("~~*", "!~~*"), "SIMILAR": ("~", "!~")}


_CALL = re.compile(r'("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\(')
_STRING = re.compile(r"'(?:[^']|'')*'")


def called_names(tree: exp.Expr) -> set[str]:
    """Every name followed by ``(`` in the SQL generated for PostgreSQL, lower-cased: the functions it will call by
    the names it will call them (sqlglot's ``exp.Pad``, ``exp.Trim``, ``exp.GroupConcat`` run as LPAD, LTRIM,
    STRING_AGG...), plus some keywords (IN, VALUES...), which only widen the check."""
    sql = _STRING.sub(" ", generate(tree, "postgres"))
    return {m[1:-1].replace('""', '"').lower() if m.startswith('"') else m.lower() for m in _CALL.findall(sql)}


def operator_symbols(tree: exp.Expr) -> set[str]:
    """Every operator name ``tree`` may call in PostgreSQL (each run of operator characters and its parts, plus the
    operators behind LIKE/ILIKE/SIMILAR TO), read from its generated SQL with strings and quoted names removed."""
    sql = _STRING_OR_NAME.sub(" ", tree.sql("postgres"))
    found: set[str] = set()
    for run in _OPERATOR_RUN.findall(sql):
        found |= {run[i:j] for i in range(len(run)) for j in range(i + 1, len(run) + 1)}
    words = set(re.findall(r"[A-Za-z_]+", sql.upper()))
    for word, names in _KEYWORD_OPERATORS.items():
        if word in words:
            found |= set(names)
    return found
