"""Class 1 through another tool (red-team pass 2): the value index (``tools.values``) reads the distinct text values
of every table *and view* of a connection in the background, outside ``run_query``'s checks.

A view's code then runs with the login's rights: on a privileged login (the opt-out) the planted
``relatorios.v_resumo`` (``pg_read_file``) and MariaDB ``v_resumo`` (``LOAD_FILE``) run as superuser/root, and
``relatorios.v_trava`` takes a *session* advisory lock that outlives the read-only transaction in the pooled
connection. Building the index must run no view code on a privileged login and leave no session state on any.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.tools.security.conftest import world_for
from tests.tools.security.harness import READONLY, SUPERUSER, check
from tests.tools.security.targets import LEAK_MARKERS
from tools.db.connect import get_engine, resolve_connection
from tools.errors import UnsafeQueryError
from tools.schema_inspect import InspectSchemaInput, inspect_schema
from tools.schema_inspect.introspect import read_only, reflect
from tools.values.service import clear_value_index, ensure_index


@pytest.mark.parametrize("login", [SUPERUSER, READONLY])
@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_value_index_runs_no_view_code_and_leaves_no_session_state(
    dialect: str, login: str, request: pytest.FixtureRequest
) -> None:
    world = world_for(request, dialect)
    ctx = world.ctx
    # every table and view, reflected with the admin account (inspect_schema refuses the privileged PostgreSQL
    # login of this target, see below, and the read-only one fails on rt_rls's policy, by design of the target)
    with read_only(create_engine(world.target.admin_url)) as db:
        tables, _ = reflect(db, samples=False)
    if dialect == "postgres":
        assert {"v_linhas", "v_trava_publica"} <= {t.name for t in tables if t.kind == "view"}
    conn = resolve_connection(ctx, login)
    clear_value_index(ctx, conn)
    index = ensure_index(ctx, conn, tables, wait_s=60)
    assert index is not None
    indexed = " ".join(v.value for v in index.values)
    assert not any(marker.casefold() in indexed.casefold() for marker in LEAK_MARKERS), indexed[:300]
    assert not any(secret in indexed for secret in world.target.secrets)
    if dialect == "postgres":
        engine = get_engine(ctx, conn)
        with engine.connect() as db:  # a pooled session the index used: no advisory lock may survive it
            held = db.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            ).scalar()
            db.rollback()
        assert held == 0, "a view's session advisory lock outlived the value index build"
    assert check("no_locks", world.target, {"out_path": "/nonexistent"}, ctx) is None


def test_schema_reflection_refuses_overloaded_built_ins_on_a_privileged_login(request: pytest.FixtureRequest) -> None:
    """SQLAlchemy's PostgreSQL reflection calls built-ins unqualified (``unnest(conkey)``...): checked by hand, a
    ``public.unnest(int2vector)`` overload runs inside ``get_multi_pk_constraint`` with the inspecting login's
    rights. On a privileged login inspect_schema refuses while the search path holds overloads of built-ins (the
    target plants several, owned by a low-privilege role); the read-only login is the database's job."""
    world = world_for(request, "postgres")
    with pytest.raises(UnsafeQueryError) as refused:
        inspect_schema(InspectSchemaInput(connection=SUPERUSER), world.ctx)
    assert refused.value.detail["code"] == "function_not_allowed"
    assert "public.lpad" in refused.value.message
