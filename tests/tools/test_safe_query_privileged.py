"""The privileged opt-out (``allow_privileged``) on PostgreSQL: code the server runs without the query calling it
(row-level-security policies, user operators, user casts, domains) is checked before the statement (``views``).

A privileged login that is not a superuser (``pg_read_server_files``) is the case that matters for RLS: superusers
and table owners skip policies, this login runs them with its own rights.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, make_url, text

from tools.context import ToolContext
from tools.errors import UnsafeQueryError
from tools.safe_query import RunQueryInput, run_query

PASSWORD = "troque-esta-senha"


@pytest.fixture
def privileged(fresh_pg_url: str) -> Iterator[tuple[str, str]]:
    """``(admin URL, URL of a non-superuser login with pg_read_server_files)`` over tables of another role."""
    admin_url = make_url(fresh_pg_url)
    tag = secrets.token_hex(4)
    login, other = f"vozbd_priv_{tag}", f"vozbd_dono_{tag}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    statements = [
        f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'",
        f"GRANT pg_read_server_files TO {login}",
        f"GRANT EXECUTE ON FUNCTION pg_read_file(text) TO {login}",
        f"CREATE ROLE {other} NOLOGIN",
        f"GRANT CREATE, USAGE ON SCHEMA public TO {other}",
        f"GRANT USAGE ON SCHEMA public TO {login}",
        f"SET ROLE {other}",
        "CREATE FUNCTION public.le_arquivo() RETURNS text LANGUAGE sql AS $f$SELECT pg_read_file('/etc/passwd')$f$",
        "CREATE TABLE public.com_rls (id int, v text)",
        "INSERT INTO public.com_rls VALUES (1, 'um'), (2, 'dois')",
        "ALTER TABLE public.com_rls ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY ver ON public.com_rls FOR SELECT USING (public.le_arquivo() IS NOT NULL)",
        "CREATE TABLE public.rls_legitima (id int)",
        "INSERT INTO public.rls_legitima VALUES (1), (2), (3)",
        "ALTER TABLE public.rls_legitima ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY ver ON public.rls_legitima FOR SELECT USING (id > 1)",
        "CREATE FUNCTION public.soma(text, integer) RETURNS text LANGUAGE sql AS $f$SELECT $1 || $2::text$f$",
        "CREATE OPERATOR public.+ (LEFTARG = text, RIGHTARG = integer, FUNCTION = public.soma)",
        f"GRANT SELECT ON public.com_rls, public.rls_legitima TO {login}",
        "RESET ROLE",
    ]
    with admin.connect() as db:
        for statement in statements:
            db.execute(text(statement))
    try:
        yield fresh_pg_url, admin_url.set(username=login, password=PASSWORD).render_as_string(hide_password=False)
    finally:
        with admin.connect() as db:
            for role in (login, other):
                db.execute(text(f"DROP OWNED BY {role} CASCADE"))
                db.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def run(ctx: ToolContext, url: str, sql: str) -> list[list[object]]:
    return run_query(RunQueryInput(sql=sql, connection=url), ctx).rows


def test_a_policy_that_reads_files_is_refused_on_a_privileged_login(
    privileged: tuple[str, str], tool_ctx: ToolContext
) -> None:
    _, url = privileged
    engine = create_engine(url)
    try:  # the premise: the policy runs, with this login's rights, on a plain SELECT
        with engine.connect() as db:
            assert db.execute(text("SELECT count(*) FROM com_rls")).scalar() == 2
            assert "root:" in str(db.execute(text("SELECT public.le_arquivo()")).scalar())
    finally:
        engine.dispose()
    ctx = tool_ctx  # accepts URLs and privileged logins (tests/conftest.py)
    for sql in (
        "SELECT * FROM com_rls",
        "SELECT (SELECT count(*) FROM com_rls) AS n",
        "WITH x AS (SELECT v FROM com_rls) SELECT * FROM x",
    ):
        with pytest.raises(UnsafeQueryError) as caught:
            run(ctx, url, sql)
        assert caught.value.detail["code"] == "policy_not_allowed"
        assert "política de segurança por linha (ver)" in caught.value.message


def test_a_harmless_policy_still_filters_and_runs(privileged: tuple[str, str], tool_ctx: ToolContext) -> None:
    _, url = privileged
    ctx = tool_ctx  # accepts URLs and privileged logins (tests/conftest.py)
    assert run(ctx, url, "SELECT id FROM rls_legitima ORDER BY id") == [[2], [3]]


def test_user_operators_are_refused_only_when_the_query_may_use_them(
    privileged: tuple[str, str], tool_ctx: ToolContext
) -> None:
    admin, _ = privileged
    ctx = tool_ctx  # accepts URLs and privileged logins (tests/conftest.py)
    with pytest.raises(UnsafeQueryError) as caught:
        run(ctx, admin, "SELECT CAST(id AS text) + 1 AS x FROM rls_legitima")
    assert caught.value.detail["code"] == "operator_not_allowed" and "public.+" in caught.value.message
    # no '+' in the statement: the user's operator cannot be picked (joins, IN, ORDER BY use comparisons only)
    assert run(ctx, admin, "SELECT id FROM rls_legitima WHERE id IN (1, 2) ORDER BY id") == [[1], [2]]


# --- MariaDB: a view replaced between its check and the statement --------------------------------------------------


@pytest.fixture
def mysql_view(mysql_url: str) -> Iterator[str]:
    admin = create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text("CREATE OR REPLACE TABLE vozbd_base (id int, nome varchar(20))"))
        db.execute(text("INSERT INTO vozbd_base VALUES (1, 'ana'), (2, 'bia')"))
        db.execute(text("CREATE OR REPLACE VIEW vozbd_visao AS SELECT id, UPPER(nome) AS nome FROM vozbd_base"))
        db.execute(text("CREATE OR REPLACE VIEW vozbd_visao2 AS SELECT v.nome FROM vozbd_visao v WHERE v.id > 1"))
    try:
        yield mysql_url
    finally:
        with admin.connect() as db:
            db.execute(text("DROP VIEW IF EXISTS vozbd_visao2, vozbd_visao"))
            db.execute(text("DROP TABLE IF EXISTS vozbd_base"))
        admin.dispose()


def test_materialized_views_and_sequences_still_read_on_a_privileged_login(
    fresh_pg_url: str, tool_ctx: ToolContext
) -> None:
    engine = create_engine(fresh_pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as db:
        db.execute(text("CREATE MATERIALIZED VIEW resumo AS SELECT 3 AS n"))
        db.execute(text("CREATE SEQUENCE contador"))
    engine.dispose()
    assert run(tool_ctx, fresh_pg_url, "SELECT n FROM resumo") == [[3]]  # not lockable: read without the lock
    assert run(tool_ctx, fresh_pg_url, "SELECT last_value FROM contador") == [[1]]


def _swap_after_the_check(monkeypatch: pytest.MonkeyPatch, url: str, *statements: str) -> list[str]:
    """Make every privileged check run ``statements`` on another session right after it returns; the SQL each
    check handed to the statement is recorded."""
    import tools.safe_query.tool as tool_module
    from tools.safe_query.views import ViewCheck

    ran: list[str] = []

    class Swapping(ViewCheck):
        def __call__(self, db: Connection) -> str | None:
            sql = super().__call__(db)
            swap = create_engine(url, isolation_level="AUTOCOMMIT")
            with swap.connect() as other:
                for statement in statements:
                    other.execute(text(statement))
            swap.dispose()
            ran.append(sql or "")
            return sql

    def swapping_guard(dialect: str, tree: Any, database: Any, schemas: Any, validate: Any, prefix: str = "") -> Any:
        return Swapping(dialect, tree, database, schemas, validate, prefix) if tree is not None else None

    monkeypatch.setattr(tool_module, "view_guard", swapping_guard)
    return ran


def test_a_mariadb_view_swapped_after_its_check_cannot_run_unchecked_code(
    mysql_view: str, tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    swap = "CREATE OR REPLACE VIEW vozbd_visao AS SELECT 1 AS id, LOAD_FILE('/etc/passwd') AS nome"
    ran = _swap_after_the_check(monkeypatch, mysql_view, swap)
    rows = run(tool_ctx, mysql_view, "SELECT nome FROM vozbd_visao2 ORDER BY nome")
    assert rows == [["BIA"]]  # the checked definition ran, not the swapped one
    assert ran and "vozbd_visao" not in ran[0].replace("vozbd_visao2", "")  # the statement names no view
    monkeypatch.undo()
    with pytest.raises(UnsafeQueryError) as caught:  # the next call checks the new definition and refuses it
        run(tool_ctx, mysql_view, "SELECT nome FROM vozbd_visao2")
    assert caught.value.detail["code"] == "view_not_allowed"
    # the inner refusal is a sentence of its own (it was glued in as "por dentro, ela A função LOAD_FILE...")
    assert "conexão privilegiada. Na definição dela: A função" in caught.value.message


def test_a_mariadb_table_swapped_for_a_view_after_the_check_is_caught_and_discarded(
    mysql_view: str, tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    swap = ("DROP TABLE vozbd_base", "CREATE VIEW vozbd_base AS SELECT 9 AS id, LOAD_FILE('/etc/passwd') AS nome")
    _swap_after_the_check(monkeypatch, mysql_view, *swap)
    try:
        with pytest.raises(UnsafeQueryError) as caught:
            run(tool_ctx, mysql_view, "SELECT nome FROM vozbd_base")
        assert caught.value.detail["code"] == "view_not_allowed" and "trocada por uma visão" in caught.value.message
        assert "root:" not in str(caught.value.to_dict())
    finally:
        cleanup = create_engine(mysql_view, isolation_level="AUTOCOMMIT")
        with cleanup.connect() as db:
            db.execute(text("DROP VIEW IF EXISTS vozbd_base"))
        cleanup.dispose()
