"""`vozbd db add/list/test` refuse privileged logins unless allowed; `vozbd db create-readonly-user` fixes it."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from typer.testing import CliRunner

from vozbd.cli.app import app
from vozbd.cli.errors import EXIT_DATABASE, EXIT_OK, EXIT_USAGE

runner = CliRunner()


@pytest.fixture(autouse=True)
def _strict_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VOZBD_"):
            monkeypatch.delenv(name)  # includes VOZBD_ALLOW_PRIVILEGED: production defaults
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("fixture", ["demo_pg_url", "demo_mysql_url"])
def test_superuser_is_refused_and_not_saved(request: pytest.FixtureRequest, fixture: str) -> None:
    code, out = invoke("db", "add", "admin", request.getfixturevalue(fixture))
    assert code == EXIT_DATABASE, out
    assert "create-readonly-user" in out and "não foi salva" in out
    code, out = invoke("db", "list", "--json")
    assert [c["name"] for c in json.loads(out)["connections"]] == ["demo"]


def test_allow_privileged_is_stored_listed_and_warned(demo_pg_url: str) -> None:
    code, out = invoke("db", "add", "admin", demo_pg_url, "--allow-privileged")
    assert code == EXIT_OK, out
    assert "Atenção" in out
    code, out = invoke("db", "list", "--json")
    listed = {c["name"]: c for c in json.loads(out)["connections"]}
    assert listed["admin"]["allow_privileged"] is True and listed["demo"]["allow_privileged"] is False
    code, out = invoke("db", "list")
    assert "privilegiado" in out
    code, out = invoke("db", "test", "admin")
    assert code == EXIT_OK and "Atenção" in out
    code, out = invoke("query", "admin", "SELECT COUNT(*) AS n FROM clientes", "--json")
    assert code == EXIT_OK and json.loads(out)["rows"] == [[600]]


def test_url_on_the_command_line_is_checked_too(demo_pg_url: str) -> None:
    code, out = invoke("query", demo_pg_url, "SELECT 1")
    assert code == EXIT_DATABASE and "privilégios demais" in out
    code, out = invoke("db", "test", demo_pg_url)
    assert code == EXIT_DATABASE and "privileged" in out


def test_create_readonly_user_prints_sql() -> None:
    code, out = invoke("db", "create-readonly-user", "vozbd_leitor", "--dialect", "postgres", "--database", "loja")
    assert code == EXIT_OK, out
    assert 'CREATE ROLE "vozbd_leitor" LOGIN' in out and 'GRANT SELECT ON ALL TABLES IN SCHEMA "public"' in out
    code, out = invoke("db", "create-readonly-user", "vozbd_leitor", "--dialect", "mysql", "--database", "loja")
    assert "GRANT SELECT, SHOW VIEW ON `loja`.* TO 'vozbd_leitor'@'%';" in out
    code, out = invoke("db", "create-readonly-user", "vozbd_leitor")
    assert code == EXIT_USAGE


@pytest.mark.parametrize(("fixture", "dialect"), [("demo_pg_url", "postgres"), ("demo_mysql_url", "mysql")])
def test_create_readonly_user_apply_gives_a_login_that_db_add_accepts(
    request: pytest.FixtureRequest, fixture: str, dialect: str
) -> None:
    admin_url = request.getfixturevalue(fixture)
    user = f"vozbd_ro_{secrets.token_hex(4)}"
    code, out = invoke("db", "create-readonly-user", user, "--apply", "--admin-url", admin_url)
    try:
        assert code == EXIT_OK, out
        command = next(line for line in out.splitlines() if line.startswith("vozbd db add"))
        url = command.split('"')[1]
        code, out = invoke("db", "add", "leitor", url)
        assert code == EXIT_OK, out
        assert "Atenção" not in out
        code, out = invoke("query", "leitor", "SELECT COUNT(*) AS n FROM clientes", "--json")
        assert code == EXIT_OK and json.loads(out)["rows"] == [[600]]
    finally:
        engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as db:
            if dialect == "postgres":
                db.execute(text(f'DROP OWNED BY "{user}"'))
                db.execute(text(f'DROP ROLE IF EXISTS "{user}"'))
            else:
                db.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
        engine.dispose()


def test_db_add_and_test_warn_while_the_login_can_signal_its_own_sessions(fresh_pg_url: str) -> None:
    """A hand-made SELECT-only role is accepted, with a warning naming pg_terminate_backend & co. and the fix; the
    DO block that create-readonly-user prints silences it."""
    role = f"vozbd_cli_{secrets.token_hex(4)}"
    admin = create_engine(fresh_pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            db.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'cli-Senha-1'"))
        url = make_url(fresh_pg_url).set(username=role, password="cli-Senha-1").render_as_string(False)
        code, out = invoke("db", "add", "leitor", url)
        assert code == EXIT_OK, out
        assert "Aviso:" in out and "pg_terminate_backend" in " ".join(out.split()), out
        code, out = invoke("db", "create-readonly-user", "outro", "--dialect", "postgres", "--database", "x")
        do_block = next(line for line in out.splitlines() if line.startswith("DO $vozbd$"))
        with admin.connect() as db:
            db.execute(text(do_block.rstrip(";")))
        code, out = invoke("db", "test", "leitor")
        assert code == EXIT_OK and "Aviso:" not in out, out
    finally:
        with admin.connect() as db:
            db.execute(text(f"DROP OWNED BY {role}"))
            db.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
