"""`vozbd db ...` and `vozbd demo export` against real databases; passwords never appear in any output."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from tests.dbutil import table_checksums
from tools.db.demo import demo_db_path
from vozbd.cli.app import app

PASSWORD = "CliSenha-Secreta-7731"
runner = CliRunner()


def _with(url: str, **parts: object) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)


def _squash(text: str) -> str:
    """Output without whitespace: rich may wrap a long URL anywhere."""
    return "".join(text.split())


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VOZBD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOZBD_ALLOW_PRIVILEGED", "true")  # superuser test databases; see test_cli_db_privileges
    monkeypatch.chdir(tmp_path)  # no stray .env


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = result.output
    assert PASSWORD not in _squash(output), output
    return result.exit_code, output


def test_add_list_test_remove_on_live_postgres(pg_url: str, tmp_path: Path) -> None:
    code, out = invoke("db", "add", "vendas", _with(pg_url, password=PASSWORD))
    assert code == 0
    assert "postgresql+psycopg://postgres:***@127.0.0.1:5432/" in _squash(out)
    assert "PostgreSQL" in out

    code, out = invoke("db", "list", "--json")
    listed = json.loads(out)
    assert [c["name"] for c in listed["connections"]] == ["demo", "vendas"]
    assert listed["default"] == "demo"

    code, out = invoke("db", "list")
    assert code == 0 and "vendas" in out and "demo" in out

    code, out = invoke("db", "test", "vendas", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["server_version"].startswith("PostgreSQL")
    assert result["latency_ms"] >= 0

    code, out = invoke("db", "test", "vendas")
    assert code == 0 and "ms" in out

    registry_bytes = (tmp_path / "data" / "vozbd.sqlite3").read_bytes()
    assert PASSWORD.encode() not in registry_bytes

    code, out = invoke("db", "remove", "vendas")
    assert code == 0 and "removida" in out
    code, out = invoke("db", "remove", "vendas")
    assert code == 2 and "não encontrada" in out


def test_add_unreachable_warns_but_saves(mysql_url: str) -> None:
    code, out = invoke("db", "add", "mariadb", _with(mysql_url, password=PASSWORD))
    assert code == 0
    assert "Aviso" in out and "auth_failed" in out
    code, out = invoke("db", "test", "mariadb", "--json")
    result = json.loads(out)
    assert code == 4 and result["ok"] is False and result["reason_code"] == "auth_failed"
    code, out = invoke("db", "test", "mariadb")
    assert code == 4 and "auth_failed" in out


def test_no_test_flag_and_live_mariadb(mysql_url: str) -> None:
    code, out = invoke("db", "add", "mariadb", mysql_url, "--no-test", "--json")
    assert code == 0 and json.loads(out)["test"] is None
    code, out = invoke("db", "test", "mariadb", "--json")
    assert code == 0 and json.loads(out)["server_version"].startswith("MariaDB")


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [({"port": 1}, "host_unreachable"), ({"database": "vozbd_no_such_db"}, "unknown_database")],
)
def test_test_failures_exit_4(pg_url: str, mutation: dict[str, object], reason: str) -> None:
    code, out = invoke("db", "test", _with(pg_url, password=PASSWORD, **mutation), "--json")
    result = json.loads(out)
    assert code == 4 and result["reason_code"] == reason
    assert "***" in result["masked_url"]


def test_test_defaults_to_demo() -> None:
    code, out = invoke("db", "test", "--json")
    assert code == 0 and json.loads(out)["connection"] == "demo"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("db", "add", "demo", "sqlite:////tmp/x.sqlite"), 2),
        (("db", "add", "Nome Ruim", "sqlite:////tmp/x.sqlite"), 2),
        (("db", "add", "x", "mongodb://h/db"), 2),
        (("db", "test", "nao_existe"), 2),
        (("db", "remove", "nao_existe", "--json"), 2),
    ],
)
def test_usage_errors(args: tuple[str, ...], code: int) -> None:
    exit_code, out = invoke(*args)
    assert exit_code == code and ("Erro" in out or '"error"' in out)


def test_duplicate_add(tmp_path: Path) -> None:
    assert invoke("db", "add", "x", f"sqlite:///{tmp_path}/x.sqlite", "--no-test")[0] == 0
    code, out = invoke("db", "add", "x", f"sqlite:///{tmp_path}/x.sqlite", "--no-test")
    assert code == 2 and "Já existe" in out


def test_json_error_is_one_object() -> None:
    code, out = invoke("db", "test", "nao_existe", "--json")
    assert code == 2 and json.loads(out)["error"] == "unknown_connection"


def test_no_password_in_log_records(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        invoke("db", "add", "vendas", _with(pg_url, password=PASSWORD))
        invoke("db", "test", "vendas")
        invoke("db", "test", _with(pg_url, port=1, password=PASSWORD))
    assert caplog.records
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)


def test_demo_export(tmp_path: Path) -> None:
    target = tmp_path / "out" / "minha_demo.sqlite"
    code, _ = invoke("demo", "export", str(target))
    assert code == 0 and table_checksums(target) == table_checksums(demo_db_path())
    code, out = invoke("demo", "export", str(target))
    assert code == 2 and "jáexiste" in _squash(out)


def test_real_subprocess_never_prints_the_password(pg_url: str, mysql_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
    env |= {"VOZBD_DATA_DIR": str(tmp_path / "sub"), "COLUMNS": "200", "VOZBD_LOG_LEVEL": "DEBUG"}
    env["VOZBD_ALLOW_PRIVILEGED"] = "true"  # superuser test databases
    vozbd = [sys.executable, "-c", "from vozbd.cli.app import run; run()"]
    commands = [
        (["db", "add", "pg", _with(pg_url, password=PASSWORD)], 0),
        (["db", "add", "maria", _with(mysql_url, password=PASSWORD)], 0),
        (["db", "list"], 0),
        (["db", "test", "maria", "--json"], 4),
        (["db", "test", _with(pg_url, port=1, password=PASSWORD)], 4),
    ]
    outputs = []
    for args, expected in commands:
        proc = subprocess.run(
            [*vozbd, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )
        outputs.append(proc.stdout + proc.stderr)
        assert proc.returncode == expected, (args[:2], proc.stdout, proc.stderr)
        assert PASSWORD not in _squash(proc.stdout + proc.stderr)
    assert "***" in outputs[0] and "pg" in outputs[2] and "maria" in outputs[2]


def test_ask_password_reads_stdin_without_a_terminal(pg_url: str) -> None:
    result = runner.invoke(app, ["db", "add", "pg", pg_url, "--ask-password", "--json"], input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in _squash(result.output)
    saved = json.loads(result.stdout.strip().splitlines()[-1])["saved"]
    assert saved["masked_url"].count("***") == 1 and saved["name"] == "pg"
    from tools.db.registry import ConnectionRegistry
    from vozbd.settings import Settings

    settings = Settings()
    registry = ConnectionRegistry(settings.registry_file, key_file=settings.secret_key_file)
    assert registry.url_for("pg").password == PASSWORD


# --- db add --ssh (the real tunnel: tests/tools/db/test_ssh_tunnel.py) ------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--ssh-key", "id_ed25519"], "só valem junto com --ssh"),
        (["--ssh-known-hosts", "known_hosts"], "só valem junto com --ssh"),
        (["--ssh", "deploy@bastiao:porta"], "Destino SSH inválido"),
        (["--ssh", "deploy@"], "Destino SSH inválido"),
        (["--ssh", "bastiao", "--ssh-key", "nao-existe"], "--ssh-key: arquivo não encontrado"),
        (["--ssh", "bastiao", "--ssh-known-hosts", "nao-existe"], "--ssh-known-hosts: arquivo não encontrado"),
    ],
)
def test_add_refuses_bad_ssh_flags_and_saves_nothing(args: list[str], expected: str) -> None:
    code, output = invoke("db", "add", "remota", "postgresql://leitor@127.0.0.1:5432/vendas", "--no-test", *args)
    assert code != 0 and expected in " ".join(output.split()), output
    assert "remota" not in invoke("db", "list")[1]


def test_add_refuses_an_ssh_tunnel_to_a_sqlite_file(tmp_path: Path) -> None:
    code, output = invoke("db", "add", "arquivo", f"sqlite:///{tmp_path / 'x.db'}", "--no-test", "--ssh", "bastiao")
    assert code != 0 and "SQLite é um arquivo local" in " ".join(output.split())
    assert "arquivo" not in invoke("db", "list")[1]


def test_add_with_ssh_saves_the_tunnel_with_absolute_paths(tmp_path: Path) -> None:
    from tools.db.registry import ConnectionRegistry

    (tmp_path / "chave").write_text("not a real key\n")
    (tmp_path / "hosts").write_text("")
    code, output = invoke(
        "db", "add", "remota", "postgresql://leitor@127.0.0.1:5432/vendas", "--no-test", "--json",
        "--ssh", "deploy@bastiao.exemplo.com.br:2222", "--ssh-key", "chave", "--ssh-known-hosts", "hosts",
    )  # fmt: skip
    assert code == 0, output
    assert json.loads(output)["saved"]["ssh"] == "deploy@bastiao.exemplo.com.br:2222"
    registry = ConnectionRegistry(tmp_path / "data" / "vozbd.sqlite3", key_file=tmp_path / "data" / "secret.key")
    ssh = registry.ssh_for("remota")
    assert ssh is not None and (ssh.host, ssh.port, ssh.username) == ("bastiao.exemplo.com.br", 2222, "deploy")
    assert ssh.key_file == tmp_path / "chave" and ssh.known_hosts == tmp_path / "hosts"
    listed = json.loads(invoke("db", "list", "--json")[1])
    assert [c.get("ssh") for c in listed["connections"] if c["name"] == "remota"] == [
        "deploy@bastiao.exemplo.com.br:2222"
    ]
    code, output = invoke("db", "add", "alias", "mysql://leitor@127.0.0.1/loja", "--no-test", "--ssh", "banco-interno")
    assert code == 0 and "via túnel SSH banco-interno" in output
