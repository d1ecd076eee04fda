"""The read-only role GRANTs documented in the README (section "Safe queries"), run against the real servers."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from tests.dbutil import table_checksums
from tools.context import ToolContext
from tools.errors import UnsafeQueryError
from tools.safe_query import RunQueryInput, run_query

DOC = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "troque-esta-senha"


def documented_statements(marker: str, database: str, role: str) -> list[str]:
    """The SQL block after ``<!-- grants:marker -->`` with the doc's names replaced by this test's."""
    match = re.search(rf"<!-- grants:{marker} -->\s*```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"grants:{marker} block missing from {DOC}"
    sql = match.group(1).replace("vozbd_leitura", role).replace("loja", database)
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def test_postgres_read_only_role(demo_pg_url: str, tool_ctx: ToolContext) -> None:
    admin_url = make_url(demo_pg_url)
    role = f"vozbd_ro_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            for statement in documented_statements("postgres", f'"{admin_url.database}"', role):
                db.execute(text(statement))
        role_url = admin_url.set(username=role, password=PASSWORD)
        as_text = role_url.render_as_string(hide_password=False)
        before = table_checksums(demo_pg_url)
        result = run_query(
            RunQueryInput(sql="SELECT COUNT(*) FROM clientes", connection=as_text),
            tool_ctx,
        )
        assert result.rows == [[600]]
        as_role = create_engine(role_url, isolation_level="AUTOCOMMIT")
        try:
            with as_role.connect() as db:  # even with read-only switched off, the grants refuse writes
                db.execute(text("SET default_transaction_read_only = off"))
                with pytest.raises(DBAPIError, match="permission denied"):
                    db.execute(text("DELETE FROM clientes"))
                with pytest.raises(DBAPIError, match="permission denied"):
                    db.execute(text("CREATE TABLE intruso (i int)"))
        finally:
            as_role.dispose()
        assert table_checksums(demo_pg_url) == before
    finally:
        with admin.connect() as db:
            db.execute(text(f'DROP OWNED BY "{role}"'))
            db.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_mysql_read_only_user(demo_mysql_url: str, tool_ctx: ToolContext) -> None:
    admin_url = make_url(demo_mysql_url)
    user = f"vozbd_ro_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            for statement in documented_statements("mysql", f"`{admin_url.database}`", user):
                db.execute(text(statement))
        user_url: URL = admin_url.set(username=user, password=PASSWORD)
        as_text = user_url.render_as_string(hide_password=False)
        before = table_checksums(demo_mysql_url)
        result = run_query(
            RunQueryInput(sql="SELECT COUNT(*) FROM clientes", connection=as_text),
            tool_ctx,
        )
        assert result.rows == [[600]]
        as_user = create_engine(user_url, isolation_level="AUTOCOMMIT")
        try:
            with as_user.connect() as db:
                with pytest.raises(DBAPIError, match="denied"):
                    db.execute(text("DELETE FROM clientes"))
                with pytest.raises(DBAPIError, match="denied"):
                    db.execute(text("CREATE TABLE intruso (i int)"))
        finally:
            as_user.dispose()
        with pytest.raises(UnsafeQueryError) as refused:  # system catalogs are refused before the database
            run_query(
                RunQueryInput(sql="SELECT * FROM mysql.user", connection=as_text),
                tool_ctx,
            )
        assert refused.value.detail["code"] == "catalog_not_allowed"
        assert table_checksums(demo_mysql_url) == before
    finally:
        with admin.connect() as db:
            db.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
        admin.dispose()
