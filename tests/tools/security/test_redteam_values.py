"""Class 1 through another tool (red-team pass 2): the value index (``tools.values``) reads the distinct text values
of every table *and view* of a connection in the background, outside ``run_query``'s checks.

A view's code then runs with the login's rights: on a privileged login (the opt-out) the planted
``relatorios.v_resumo`` (``pg_read_file``) and MariaDB ``v_resumo`` (``LOAD_FILE``) run as superuser/root, and
``relatorios.v_trava`` takes a *session* advisory lock that outlives the read-only transaction in the pooled
connection. Building the index must run no view code on a privileged login and leave no session state on any.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.tools.security.conftest import world_for
from tests.tools.security.harness import READONLY, SUPERUSER, check
from tests.tools.security.targets import LEAK_MARKERS
from tools.db.connect import get_engine, resolve_connection
from tools.schema_inspect import InspectSchemaInput, inspect_schema
from tools.values.service import clear_value_index, ensure_index


@pytest.mark.parametrize("login", [SUPERUSER, READONLY])
@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_value_index_runs_no_view_code_and_leaves_no_session_state(
    dialect: str, login: str, request: pytest.FixtureRequest
) -> None:
    world = world_for(request, dialect)
    ctx = world.ctx
    # the tables and views as the privileged login lists them (the read-only one cannot inspect the PostgreSQL
    # target at all: rt_rls's policy fails for it, by design of the target)
    tables = inspect_schema(InspectSchemaInput(connection=SUPERUSER), ctx).tables
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
