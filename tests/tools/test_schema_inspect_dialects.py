"""inspect_schema against real PostgreSQL and MariaDB: the demo database and a synthetic schema with
comments, a view and a non-default schema (PG) / a table filter (MariaDB)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.tools.schema_util import DEMO_TABLES, table_named
from tools.context import ToolContext
from tools.errors import InvalidInputError
from tools.schema_inspect import InspectSchemaInput, inspect_schema


def _exact_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return {name: db.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in DEMO_TABLES}
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as db:
            for statement in statements:
                db.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(params=["postgres", "mysql"])
def demo_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("demo_pg_url" if request.param == "postgres" else "demo_mysql_url")


def test_demo_structure(tool_ctx: ToolContext, demo_url: str) -> None:
    result = inspect_schema(InspectSchemaInput(connection=demo_url), tool_ctx)
    assert result.dialect in ("postgres", "mysql")
    assert {t.name for t in result.tables} == DEMO_TABLES
    assert "secret" not in result.connection
    pedidos = table_named(result, "pedidos")
    assert pedidos.primary_key == ["id"]
    assert any(fk.columns == ["cliente_id"] and fk.referred_table == "clientes" for fk in pedidos.foreign_keys)
    assert any(ix.columns == ["status"] for ix in pedidos.indexes)
    assert any(ix.unique and ix.columns == ["cpf"] for ix in table_named(result, "clientes").indexes)
    # comments come from the database catalog
    assert table_named(result, "clientes").comment == "Clientes da loja"
    uf = next(c for c in table_named(result, "clientes").columns if c.name == "uf")
    assert uf.comment and "UF" in uf.comment
    assert "SP" in uf.samples
    status = next(c for c in pedidos.columns if c.name == "status")
    assert status.samples and "entregue" in status.samples
    assert "-- Clientes da loja" in result.compact
    assert "valores: SP" in result.compact


def test_demo_row_counts_roughly_right(tool_ctx: ToolContext, demo_url: str) -> None:
    result = inspect_schema(InspectSchemaInput(connection=demo_url), tool_ctx)
    exact = _exact_counts(demo_url)
    for table in result.tables:
        assert table.row_count is not None, table.name
        assert abs(table.row_count - exact[table.name]) <= max(5, exact[table.name] * 0.5), table.name


def test_demo_table_filter(tool_ctx: ToolContext, demo_url: str) -> None:
    result = inspect_schema(InspectSchemaInput(connection=demo_url, tables=["Entregas", "transp*"]), tool_ctx)
    assert [t.name for t in result.tables] == ["entregas", "transportadoras"]


@pytest.fixture(scope="module")
def pg_synthetic(pg_url: str) -> Iterator[str]:
    _execute(
        pg_url,
        "CREATE SCHEMA vendas_si",
        "CREATE TABLE vendas_si.lojas (id serial PRIMARY KEY, nome text NOT NULL, uf char(2) NOT NULL DEFAULT 'SP')",
        "COMMENT ON TABLE vendas_si.lojas IS 'Lojas físicas'",
        "COMMENT ON COLUMN vendas_si.lojas.uf IS 'Estado da loja'",
        "CREATE TABLE vendas_si.vendas (id serial PRIMARY KEY, loja_id int NOT NULL REFERENCES vendas_si.lojas(id),"
        " valor numeric(10,2), canal varchar(20))",
        "CREATE INDEX ix_vendas_canal ON vendas_si.vendas (canal)",
        "CREATE VIEW vendas_si.total_por_loja AS SELECT loja_id, sum(valor) AS total FROM vendas_si.vendas"
        " GROUP BY loja_id",
        "CREATE MATERIALIZED VIEW vendas_si.resumo AS SELECT count(*) AS n FROM vendas_si.vendas",
        "INSERT INTO vendas_si.lojas (nome, uf) VALUES ('Centro', 'SP'), ('Praia', 'RJ')",
        "INSERT INTO vendas_si.vendas (loja_id, valor, canal)"
        " SELECT 1 + g % 2, g, CASE WHEN g % 3 = 0 THEN 'site' ELSE 'loja' END FROM generate_series(1, 300) g",
    )
    yield pg_url
    _execute(pg_url, "DROP SCHEMA vendas_si CASCADE")


def test_postgres_schema_filter_views_and_comments(tool_ctx: ToolContext, pg_synthetic: str) -> None:
    from tools.db.connect import resolve_connection
    from tools.policy import ConnectionPolicy

    # outside the login's search path (public): readable only when the connection's policy lists it, like run_query
    with pytest.raises(InvalidInputError) as refused:
        inspect_schema(InspectSchemaInput(connection=pg_synthetic, schema="vendas_si"), tool_ctx)
    assert refused.value.detail["code"] == "schema_not_allowed"
    name = resolve_connection(tool_ctx, pg_synthetic).name
    tool_ctx.policies = {name: ConnectionPolicy(schemas=["public", "vendas_si"])}
    result = inspect_schema(InspectSchemaInput(connection=pg_synthetic, schema="vendas_si"), tool_ctx)
    kinds = {t.name: t.kind for t in result.tables}
    assert kinds == {"lojas": "table", "vendas": "table", "total_por_loja": "view", "resumo": "view"}
    lojas = table_named(result, "lojas")
    assert lojas.schema == "vendas_si"
    assert lojas.comment == "Lojas físicas"
    uf = next(c for c in lojas.columns if c.name == "uf")
    assert uf.comment == "Estado da loja"
    assert uf.default and "SP" in uf.default
    assert uf.samples == ["RJ", "SP"]  # equal counts: alphabetical
    vendas = table_named(result, "vendas")
    assert vendas.row_count == 300
    assert vendas.foreign_keys[0].referred_table == "lojas"
    assert next(c for c in vendas.columns if c.name == "canal").samples == ["loja", "site"]
    assert any(ix.name == "ix_vendas_canal" for ix in vendas.indexes)
    assert table_named(result, "total_por_loja").row_count is None
    assert "TABLE vendas_si.lojas" in result.compact
    assert "VIEW vendas_si.total_por_loja" in result.compact
    assert "nextval" not in result.compact  # serial defaults are noise in prompts
    # the default schema (public) does not see them
    public = inspect_schema(InspectSchemaInput(connection=pg_synthetic), tool_ctx)
    assert "lojas" not in {t.name for t in public.tables}
    with pytest.raises(InvalidInputError) as info:
        inspect_schema(InspectSchemaInput(connection=pg_synthetic, schema="nao_existe"), tool_ctx)
    assert "vendas_si" in info.value.message


def test_postgres_sampling_runs_read_only(tool_ctx: ToolContext, pg_synthetic: str) -> None:
    from tools.db.connect import get_engine, resolve_connection
    from tools.schema_inspect.introspect import read_only

    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, pg_synthetic))
    with read_only(engine, timeout_s=7) as db:
        assert db.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
        assert db.execute(text("SHOW statement_timeout")).scalar_one() == "7s"
    with engine.connect() as db:  # SET LOCAL: the pooled connection is back to normal
        assert db.execute(text("SHOW statement_timeout")).scalar_one() == "0"


@pytest.fixture(scope="module")
def mysql_synthetic(mysql_url: str) -> str:
    _execute(
        mysql_url,
        "CREATE TABLE si_lojas (id int PRIMARY KEY AUTO_INCREMENT, nome varchar(80) NOT NULL,"
        " uf char(2) NOT NULL DEFAULT 'SP' COMMENT 'Estado da loja') COMMENT 'Lojas físicas'",
        "CREATE TABLE si_vendas (id int PRIMARY KEY AUTO_INCREMENT, loja_id int NOT NULL, valor decimal(10,2),"
        " canal varchar(20), UNIQUE KEY uq_si (loja_id, id), FOREIGN KEY (loja_id) REFERENCES si_lojas(id))",
        "CREATE VIEW si_total AS SELECT loja_id, sum(valor) AS total FROM si_vendas GROUP BY loja_id",
        "INSERT INTO si_lojas (nome, uf) VALUES ('Centro', 'SP'), ('Praia', 'RJ'), ('Serra', 'SP')",
        "INSERT INTO si_vendas (loja_id, valor, canal) VALUES (1, 10, 'site'), (2, 20, 'loja'), (1, 5, 'site')",
    )
    return mysql_url


def test_mysql_views_comments_and_filter(tool_ctx: ToolContext, mysql_synthetic: str) -> None:
    result = inspect_schema(InspectSchemaInput(connection=mysql_synthetic, tables=["si_*"]), tool_ctx)
    assert {t.name: t.kind for t in result.tables} == {"si_lojas": "table", "si_total": "view", "si_vendas": "table"}
    lojas = table_named(result, "si_lojas")
    assert lojas.comment == "Lojas físicas"
    uf = next(c for c in lojas.columns if c.name == "uf")
    assert uf.comment == "Estado da loja"
    assert uf.samples == ["SP", "RJ"]
    assert lojas.row_count == 3
    vendas = table_named(result, "si_vendas")
    assert any(ix.unique and ix.columns == ["loja_id", "id"] for ix in vendas.indexes)
    assert vendas.foreign_keys[0].referred_table == "si_lojas"
    assert "VIEW si_total" in result.compact


def test_mysql_sampling_runs_read_only(tool_ctx: ToolContext, mysql_synthetic: str) -> None:
    from sqlalchemy.exc import OperationalError

    from tools.db.connect import get_engine, resolve_connection
    from tools.schema_inspect.introspect import read_only

    engine = get_engine(tool_ctx, resolve_connection(tool_ctx, mysql_synthetic))
    with read_only(engine) as db, pytest.raises(OperationalError):
        db.execute(text("INSERT INTO si_lojas (nome, uf) VALUES ('X', 'AM')"))
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM si_lojas WHERE uf = 'AM'")).scalar_one() == 0


def test_mysql_other_database_only_through_its_own_connection(
    tool_ctx: ToolContext, demo_mysql_url: str, mysql_synthetic: str
) -> None:
    from sqlalchemy import make_url

    other = make_url(mysql_synthetic).database
    with pytest.raises(InvalidInputError) as refused:  # confined to its database, like run_query
        inspect_schema(InspectSchemaInput(connection=demo_mysql_url, schema=other, tables=["si_*"]), tool_ctx)
    assert refused.value.detail["code"] == "schema_not_allowed" and other in refused.value.message
    params = InspectSchemaInput(connection=mysql_synthetic, schema=other, tables=["si_*"])
    result = inspect_schema(params, tool_ctx)
    assert {t.name for t in result.tables} == {"si_lojas", "si_vendas", "si_total"}
    assert all(t.schema == other for t in result.tables)
    assert table_named(result, "si_lojas").row_count == 3
    assert table_named(result, "si_lojas").columns[2].samples == ["SP", "RJ"]
    assert f"TABLE {other}.si_lojas" in result.compact


def test_mysql_select_only_login_without_show_view_still_reads_views(
    tool_ctx: ToolContext, mysql_synthetic: str
) -> None:
    """A hand-made ``GRANT SELECT ON db.*`` login has no SHOW VIEW: SQLAlchemy's ``SHOW CREATE TABLE`` of a view is
    denied, and the whole inspection used to fail. The view's columns now come from information_schema."""
    import secrets

    from sqlalchemy import make_url

    admin = make_url(mysql_synthetic)
    user = f"si_sel_{secrets.token_hex(4)}"
    _execute(mysql_synthetic, f"CREATE USER '{user}'@'%'", f"GRANT SELECT ON `{admin.database}`.* TO '{user}'@'%'")
    try:
        login = admin.set(username=user, password=None).render_as_string(hide_password=False)
        result = inspect_schema(InspectSchemaInput(connection=login, tables=["si_*"]), tool_ctx)
        assert {t.name: t.kind for t in result.tables} == {
            "si_lojas": "table",
            "si_total": "view",
            "si_vendas": "table",
        }
        total = table_named(result, "si_total")
        assert [c.name for c in total.columns] == ["loja_id", "total"]
        assert total.columns[1].type.startswith("DECIMAL")
        assert table_named(result, "si_lojas").comment == "Lojas físicas"  # the tables keep their comments
        assert table_named(result, "si_vendas").foreign_keys[0].referred_table == "si_lojas"
        assert "VIEW si_total" in result.compact
    finally:
        _execute(mysql_synthetic, f"DROP USER '{user}'@'%'")


def test_postgres_table_whose_policy_errors_costs_only_its_own_counts(tool_ctx: ToolContext, pg_url: str) -> None:
    """A row-level-security policy that raises for the inspecting login made the whole inspection fail; that
    table now only loses its row count and samples."""
    import secrets

    from sqlalchemy import make_url

    role = f"si_rls_{secrets.token_hex(4)}"
    _execute(
        pg_url,
        "CREATE TABLE rls_boa (id int PRIMARY KEY, uf text)",
        "INSERT INTO rls_boa VALUES (1, 'SP'), (2, 'RJ'), (3, 'SP')",
        "CREATE TABLE rls_ruim (id int PRIMARY KEY, uf text)",
        "INSERT INTO rls_ruim VALUES (1, 'MG'), (2, 'MG')",
        "ALTER TABLE rls_ruim ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY quebra ON rls_ruim USING (1 / (id - 1) > 0)",  # division by zero on row 1
        f"CREATE ROLE {role} LOGIN",
        f"GRANT SELECT ON rls_boa, rls_ruim TO {role}",
    )
    try:
        login = make_url(pg_url).set(username=role, password=None).render_as_string(hide_password=False)
        result = inspect_schema(InspectSchemaInput(connection=login, tables=["rls_*"]), tool_ctx)
        assert {t.name for t in result.tables} == {"rls_boa", "rls_ruim"}
        boa, ruim = table_named(result, "rls_boa"), table_named(result, "rls_ruim")
        assert boa.row_count == 3
        assert next(c for c in boa.columns if c.name == "uf").samples == ["SP", "RJ"]
        assert next(c for c in ruim.columns if c.name == "uf").samples == []
        assert [c.name for c in ruim.columns] == ["id", "uf"] and ruim.primary_key == ["id"]
    finally:
        _execute(pg_url, "DROP TABLE rls_boa, rls_ruim", f"DROP OWNED BY {role}", f"DROP ROLE {role}")
