"""Privileges are the first boundary: a login that may do more than read is refused on first use."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import URL, create_engine

from tools.context import ToolContext
from tools.db.connect import dispose_engines, resolve_connection, test_connection
from tools.db.privileges import inspect_privileges, readonly_user_sql
from tools.db.registry import ConnectionRegistry
from tools.errors import PrivilegedConnectionError
from tools.safe_query import RunQueryInput, run_query


@pytest.fixture
def strict_ctx(tmp_path: Path) -> ToolContext:
    """The production defaults: names only in tool inputs, privileged logins refused."""
    registry = ConnectionRegistry(tmp_path / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
    ctx = ToolContext(registry=registry)
    yield ctx
    dispose_engines(ctx)


@pytest.mark.parametrize(("fixture", "dialect"), [("demo_pg_url", "postgres"), ("demo_mysql_url", "mysql")])
def test_superuser_login_is_reported_privileged(request: pytest.FixtureRequest, fixture: str, dialect: str) -> None:
    engine = create_engine(request.getfixturevalue(fixture))
    try:
        report = inspect_privileges(engine, dialect)
    finally:
        engine.dispose()
    assert report.privileged and report.findings
    assert "create-readonly-user" in report.message("loja")


@pytest.mark.parametrize(("fixture", "dialect"), [("pg_readonly_url", "postgres"), ("mysql_readonly_url", "mysql")])
def test_readonly_recipe_gives_a_least_privilege_login(
    request: pytest.FixtureRequest, fixture: str, dialect: str
) -> None:
    engine = create_engine(request.getfixturevalue(fixture))
    try:
        report = inspect_privileges(engine, dialect)
    finally:
        engine.dispose()
    assert report.findings == []
    assert report.warnings == []


@pytest.mark.parametrize("fixture", ["demo_pg_url", "demo_mysql_url"])
def test_saved_superuser_connection_is_refused_on_first_use(
    request: pytest.FixtureRequest, fixture: str, strict_ctx: ToolContext
) -> None:
    strict_ctx.registry.add("admin", request.getfixturevalue(fixture))
    with pytest.raises(PrivilegedConnectionError) as refused:
        run_query(RunQueryInput(sql="SELECT COUNT(*) FROM clientes", connection="admin"), strict_ctx)
    assert refused.value.code == "privileged_connection"
    assert "vozbd db create-readonly-user" in refused.value.message
    result = test_connection(strict_ctx, resolve_connection(strict_ctx, "admin"))
    assert not result.ok and result.reason_code == "privileged"


@pytest.mark.parametrize("fixture", ["demo_pg_url", "demo_mysql_url"])
def test_explicit_opt_out_is_stored_and_listed(
    request: pytest.FixtureRequest, fixture: str, strict_ctx: ToolContext
) -> None:
    info = strict_ctx.registry.add("admin", request.getfixturevalue(fixture), allow_privileged=True)
    assert info.allow_privileged
    assert [c.allow_privileged for c in strict_ctx.registry.list()] == [True]
    result = run_query(RunQueryInput(sql="SELECT COUNT(*) AS n FROM clientes", connection="admin"), strict_ctx)
    assert result.rows == [[600]]


@pytest.mark.parametrize("fixture", ["pg_readonly_url", "mysql_readonly_url"])
def test_readonly_login_runs_queries_without_opt_out(
    request: pytest.FixtureRequest, fixture: str, strict_ctx: ToolContext
) -> None:
    strict_ctx.registry.add("leitura", request.getfixturevalue(fixture))
    result = run_query(RunQueryInput(sql="SELECT COUNT(*) AS n FROM clientes", connection="leitura"), strict_ctx)
    assert result.rows == [[600]]
    assert "secret" not in strict_ctx.registry.get("leitura").masked_url


def test_operator_url_with_superuser_is_refused_unless_allowed(demo_pg_url: str, strict_ctx: ToolContext) -> None:
    from dataclasses import replace

    ctx = replace(strict_ctx, default_connection=demo_pg_url)
    with pytest.raises(PrivilegedConnectionError):
        run_query(RunQueryInput(sql="SELECT 1"), ctx)
    allowed = replace(ctx, allow_privileged=True, caches={})
    try:
        assert run_query(RunQueryInput(sql="SELECT 1 AS um"), allowed).rows == [[1]]
    finally:
        dispose_engines(allowed)


def test_sqlite_needs_no_opt_out(demo_sqlite: Path, strict_ctx: ToolContext) -> None:
    strict_ctx.registry.add("arquivo", URL.create("sqlite", database=str(demo_sqlite)))
    assert run_query(RunQueryInput(sql="SELECT COUNT(*) FROM clientes", connection="arquivo"), strict_ctx).rows


def test_readonly_recipes_grant_select_only() -> None:
    pg = readonly_user_sql("postgres", "leitor", "loja", ("public", "vendas"))
    assert any('GRANT SELECT ON ALL TABLES IN SCHEMA "vendas"' in s for s in pg)
    assert not any("INSERT" in s or "ALL PRIVILEGES" in s for s in pg)
    my = readonly_user_sql("mysql", "leitor", "loja")
    assert my[-1] == "GRANT SELECT, SHOW VIEW ON `loja`.* TO 'leitor'@'%'"
    with pytest.raises(ValueError):
        readonly_user_sql("sqlite", "leitor", "loja")


def test_side_effect_functions_are_warned_about_until_the_recipe_revokes_them(fresh_pg_url: str) -> None:
    """PostgreSQL grants EXECUTE on pg_terminate_backend & co. to PUBLIC: a hand-made SELECT-only role can still
    terminate the other vozbd sessions (same role). The inspection says so with the fix; the recipe's DO block
    revokes them in this database, and the database then refuses the call."""
    import psycopg
    from sqlalchemy import make_url, text

    from tools.db.privileges import PG_REVOKE_SIDE_EFFECTS

    admin = create_engine(fresh_pg_url, isolation_level="AUTOCOMMIT")
    role = f"vozbd_fx_{secrets.token_hex(4)}"
    reader = create_engine(make_url(fresh_pg_url).set(username=role, password="fx-Senha-1"))
    try:
        with admin.connect() as db:
            db.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'fx-Senha-1'"))
        before = inspect_privileges(reader, "postgres")
        assert before.findings == []  # not refused: a warning, with the exact fix
        assert len(before.warnings) == 1
        assert "pg_terminate_backend(integer,bigint)" in before.warnings[0]
        assert "pg_logical_emit_message(boolean,text,text)" in before.warnings[0]
        assert "vozbd db create-readonly-user" in before.warnings[0]
        with admin.connect() as db:
            db.execute(text(PG_REVOKE_SIDE_EFFECTS))
        assert inspect_privileges(reader, "postgres").warnings == []
        reader.dispose()
        dsn = make_url(fresh_pg_url).set(drivername="postgresql", username=role, password="fx-Senha-1")
        with psycopg.connect(dsn.render_as_string(False)) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    finally:
        reader.dispose()
        with admin.connect() as db:
            db.execute(text(f"DROP OWNED BY {role}"))
            db.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


@pytest.mark.parametrize(("fixture", "dialect"), [("pg_readonly_url", "postgres"), ("mysql_readonly_url", "mysql")])
def test_connection_test_of_a_recipe_login_has_no_warning(
    request: pytest.FixtureRequest, fixture: str, dialect: str, strict_ctx: ToolContext
) -> None:
    strict_ctx.registry.add("leitura", request.getfixturevalue(fixture))
    result = test_connection(strict_ctx, resolve_connection(strict_ctx, "leitura"))
    assert result.ok and result.warnings == []
