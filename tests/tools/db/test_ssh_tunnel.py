"""SSH tunnels against a real OpenSSH server (private ``sshd`` on a free port) forwarding to the local PostgreSQL
and MariaDB: key, password, jump host and ``~/.ssh/config`` alias; safe-query and schema-inspect end to end;
bad key, unknown host key, closed port and a silent server give a typed pt-BR error within the timeout."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import make_url
from typer.testing import CliRunner

from tests.tools.db.servers import SshServer, running_sshd, throwaway_os_user
from tools.context import ToolContext
from tools.db.connect import dispose_engines, resolve_connection, test_connection
from tools.db.registry import ConnectionRegistry
from tools.errors import ConnectionFailedError
from tools.safe_query import RunQueryInput, run_query
from tools.schema_inspect.models import InspectSchemaInput
from tools.schema_inspect.tool import inspect_schema
from vozbd.connections_config import ConnectionConfig, declare

pytestmark = pytest.mark.slow  # ~1 min on a loaded 2-core machine (demo data in both servers, SSH handshakes)


@pytest.fixture(scope="module")
def sshd() -> Iterator[SshServer]:
    with running_sshd() as server:
        yield server


def _context(tmp_path: Path, **connections: dict[str, Any]) -> ToolContext:
    registry = ConnectionRegistry(tmp_path / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
    configs = {name: ConnectionConfig.model_validate(raw) for name, raw in connections.items()}
    declared, policies = declare(configs, registry, environ={"SSH_SENHA": "senha-de-teste-ssh-9"})
    return ToolContext(registry=registry, declared_connections=declared, policies=policies, allow_privileged=True)


def _ssh(sshd: SshServer, **extra: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "key_file": str(sshd.key_file),
            "known_hosts": str(sshd.known_hosts), "connect_timeout": 5} | extra  # fmt: skip


def _failure(ctx: ToolContext, name: str) -> ConnectionFailedError:
    with pytest.raises(ConnectionFailedError) as caught:
        run_query(RunQueryInput(sql="SELECT 1", connection=name), ctx)
    return caught.value


def test_key_auth_runs_safe_query_and_schema_inspect_on_postgres_and_mariadb(
    sshd: SshServer, demo_pg_url: str, demo_mysql_url: str, tmp_path: Path, contexts: list[ToolContext]
) -> None:
    ctx = _context(tmp_path, loja_pg={"url": demo_pg_url, "ssh": _ssh(sshd)},
                   loja_my={"url": demo_mysql_url, "ssh": _ssh(sshd)})  # fmt: skip
    contexts.append(ctx)
    for name, dialect in (("loja_pg", "postgres"), ("loja_my", "mysql")):
        result = run_query(RunQueryInput(sql="SELECT COUNT(*) AS n FROM clientes", connection=name), ctx)
        assert result.rows[0][0] > 0 and result.dialect == dialect
        schema = inspect_schema(InspectSchemaInput(connection=name, tables=["clientes"]), ctx)
        assert [t.name for t in schema.tables] == ["clientes"] and "clientes" in schema.compact
        tested = test_connection(ctx, resolve_connection(ctx, name))
        assert tested.ok, tested.message
    tunnels = ctx.caches["ssh_tunnels"]
    assert set(tunnels) == {"loja_pg", "loja_my"}
    ports = {t.local_port for t in tunnels.values()}
    assert all(p not in (5432, 3306) for p in ports) and len(ports) == 2  # really through the local forwards
    log = (sshd.directory / "sshd.log").read_text()
    assert "Accepted publickey" in log


def test_password_auth(sshd: SshServer, demo_pg_url: str, tmp_path: Path, contexts: list[ToolContext]) -> None:
    with throwaway_os_user("senha-de-teste-ssh-9") as user:
        ssh = _ssh(sshd, user=user, key_file=None, password_env="SSH_SENHA")
        ctx = _context(tmp_path, senha={"url": demo_pg_url, "ssh": ssh})
        contexts.append(ctx)
        assert run_query(RunQueryInput(sql="SELECT 1 AS um", connection="senha"), ctx).rows == [[1]]
        wrong = _context(tmp_path, errada={"url": demo_pg_url, "ssh": _ssh(sshd, user=user, key_file=None)})
        contexts.append(wrong)
        assert _failure(wrong, "errada").detail["reason"] == "ssh_auth_failed"  # no password given
        for ctx_ in (ctx, wrong):  # close the tunnels while the account still exists
            dispose_engines(ctx_)
    assert f"Accepted password for {user}" in (sshd.directory / "sshd.log").read_text()


def test_jump_host_two_hops(sshd: SshServer, demo_pg_url: str, tmp_path: Path, contexts: list[ToolContext]) -> None:
    jump = f"{sshd.user}@127.0.0.1:{sshd.port}"
    ctx = _context(tmp_path, salto={"url": demo_pg_url, "ssh": _ssh(sshd, jump_host=jump)})
    contexts.append(ctx)
    before = (sshd.directory / "sshd.log").read_text().count("Accepted publickey")
    assert run_query(RunQueryInput(sql="SELECT 2 AS dois", connection="salto"), ctx).rows == [[2]]
    # two logins: the bastion, then the target reached through the bastion's forward
    assert (sshd.directory / "sshd.log").read_text().count("Accepted publickey") == before + 2


def test_ssh_config_host_alias_and_proxy_jump(
    sshd: SshServer, demo_pg_url: str, tmp_path: Path, contexts: list[ToolContext]
) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host banco-via-bastiao\n  HostName 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n"
        f"  IdentityFile {sshd.key_file}\n  UserKnownHostsFile {sshd.known_hosts}\n"
    )
    config.write_text(
        config.read_text() + f"Host banco-atras\n  HostName 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n"
        f"  IdentityFile {sshd.key_file}\n  UserKnownHostsFile {sshd.known_hosts}\n  ProxyJump banco-via-bastiao\n"
    )
    ssh = {"host": "banco-via-bastiao", "config_file": str(config), "connect_timeout": 5}
    jumped = {"host": "banco-atras", "config_file": str(config), "connect_timeout": 5}
    ctx = _context(tmp_path, alias={"url": demo_pg_url, "ssh": ssh}, salto={"url": demo_pg_url, "ssh": jumped})
    contexts.append(ctx)
    assert run_query(RunQueryInput(sql="SELECT 3 AS tres", connection="alias"), ctx).rows == [[3]]
    before = (sshd.directory / "sshd.log").read_text().count("Accepted publickey")
    assert run_query(RunQueryInput(sql="SELECT 4 AS quatro", connection="salto"), ctx).rows == [[4]]
    assert (sshd.directory / "sshd.log").read_text().count("Accepted publickey") == before + 2  # ProxyJump


def test_wrong_key_is_a_typed_auth_error(sshd: SshServer, demo_pg_url: str, tmp_path: Path,
                                         contexts: list[ToolContext]) -> None:  # fmt: skip
    ctx = _context(tmp_path, ruim={"url": demo_pg_url, "ssh": _ssh(sshd, key_file=str(sshd.other_key_file))})
    contexts.append(ctx)
    error = _failure(ctx, "ruim")
    assert error.detail["reason"] == "ssh_auth_failed"
    assert "recusou a autenticação" in error.message and "túnel SSH" in error.message
    result = test_connection(ctx, resolve_connection(ctx, "ruim"))
    assert not result.ok and result.reason_code == "ssh_auth_failed"


def test_missing_key_file_and_unknown_host_key(sshd: SshServer, demo_pg_url: str, tmp_path: Path,
                                               contexts: list[ToolContext]) -> None:  # fmt: skip
    empty = tmp_path / "known_hosts_vazio"
    empty.write_text("")
    ctx = _context(
        tmp_path,
        sem_chave={"url": demo_pg_url, "ssh": _ssh(sshd, key_file=str(tmp_path / "nao-existe"))},
        host_estranho={"url": demo_pg_url, "ssh": _ssh(sshd, known_hosts=str(empty))},
    )
    contexts.append(ctx)
    assert _failure(ctx, "sem_chave").detail["reason"] == "ssh_key_invalid"
    error = _failure(ctx, "host_estranho")
    assert error.detail["reason"] == "ssh_host_key" and "known_hosts" in error.message


def test_password_never_appears_in_errors(sshd: SshServer, demo_pg_url: str, tmp_path: Path,
                                          contexts: list[ToolContext]) -> None:  # fmt: skip
    url = make_url(demo_pg_url).set(password="senha-do-banco-secreta").render_as_string(hide_password=False)
    ssh = _ssh(sshd, user="ninguem_aqui", key_file=None, password_env="SSH_SENHA")
    ctx = _context(tmp_path, x={"url": url, "ssh": ssh})
    contexts.append(ctx)
    error = _failure(ctx, "x")
    assert error.detail["reason"] == "ssh_auth_failed"
    text = error.message + repr(error.detail)
    assert "senha-de-teste-ssh-9" not in text and "senha-do-banco-secreta" not in text


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts and never speaks (a firewall that swallows packets, a hung server)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    for sock in accepted:
        sock.close()
    listener.close()


def test_unreachable_and_silent_servers_fail_fast(demo_pg_url: str, silent_server: int, tmp_path: Path,
                                                  contexts: list[ToolContext]) -> None:  # fmt: skip
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    ssh = {"host": "127.0.0.1", "user": "root", "check_host_key": False, "connect_timeout": 1}
    ctx = _context(tmp_path, fechado={"url": demo_pg_url, "ssh": ssh | {"port": closed}},
                   mudo={"url": demo_pg_url, "ssh": ssh | {"port": silent_server}})  # fmt: skip
    contexts.append(ctx)
    refused = _failure(ctx, "fechado")
    assert refused.detail["reason"] == "ssh_unreachable" and "inacessível" in refused.message
    silent = _failure(ctx, "mudo")
    assert silent.detail["reason"] == "ssh_timeout" and "não respondeu em 1 s" in silent.message


def test_cli_db_test_through_a_tunnel_declared_in_the_config_file(
    sshd: SshServer, demo_pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vozbd.cli.app import app

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(
        f'[connections.remoto]\nurl = "{demo_pg_url}"\n'
        f'ssh = {{ host = "127.0.0.1", port = {sshd.port}, user = "{sshd.user}", key_file = "{sshd.key_file}", '
        f'known_hosts = "{sshd.known_hosts}" }}\n'
    )
    monkeypatch.setenv("VOZBD_DATA_DIR", str(data))
    monkeypatch.delenv("VOZBD_CONFIG_FILE", raising=False)
    result = CliRunner().invoke(app, ["db", "test", "remoto"])
    assert result.exit_code == 0, result.output
    assert "PostgreSQL" in result.output
    result = CliRunner().invoke(app, ["query", "remoto", "SELECT COUNT(*) AS n FROM clientes", "--json"])
    assert result.exit_code == 0, result.output
    assert '"row_count": 1' in result.output


def test_cli_db_add_with_ssh_flags_saves_a_connection_that_goes_through_the_tunnel(
    sshd: SshServer, demo_pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contexts: list[ToolContext]
) -> None:
    from vozbd.cli.app import app

    data = tmp_path / "data"
    monkeypatch.setenv("VOZBD_DATA_DIR", str(data))
    monkeypatch.delenv("VOZBD_CONFIG_FILE", raising=False)
    monkeypatch.delenv("VOZBD_REGISTRY_PATH", raising=False)
    empty_known_hosts = tmp_path / "vazio"
    empty_known_hosts.write_text("")
    ssh = ["--ssh", f"{sshd.user}@127.0.0.1:{sshd.port}"]
    runs = {
        "tunel": [*ssh, "--ssh-key", str(sshd.key_file), "--ssh-known-hosts", str(sshd.known_hosts)],
        "chave_errada": [*ssh, "--ssh-key", str(sshd.other_key_file), "--ssh-known-hosts", str(sshd.known_hosts)],
        "host_desconhecido": [*ssh, "--ssh-key", str(sshd.key_file), "--ssh-known-hosts", str(empty_known_hosts)],
    }
    tested = {}
    for name, flags in runs.items():
        result = CliRunner().invoke(app, ["db", "add", name, demo_pg_url, *flags, "--json"])
        assert result.exit_code == 0, result.output
        tested[name] = json.loads(result.output)["test"]
    assert tested["tunel"]["ok"], tested["tunel"]
    assert tested["chave_errada"]["reason_code"] == "ssh_auth_failed"  # the saved key is the one used
    assert tested["host_desconhecido"]["reason_code"] == "ssh_host_key"  # and the saved known_hosts file
    result = CliRunner().invoke(app, ["query", "tunel", "SELECT COUNT(*) AS n FROM clientes", "--json"])
    assert result.exit_code == 0 and '"row_count": 1' in result.output, result.output

    registry = ConnectionRegistry(data / "vozbd.sqlite3", key_file=data / "secret.key")
    ctx = ToolContext(registry=registry, allow_privileged=True)
    contexts.append(ctx)
    assert run_query(RunQueryInput(sql="SELECT COUNT(*) FROM clientes", connection="tunel"), ctx).rows[0][0] > 0
    tunnel = ctx.caches["ssh_tunnels"]["tunel"]
    assert tunnel.local_port not in (None, 5432) and tunnel.remote == ("127.0.0.1", make_url(demo_pg_url).port)


def test_api_post_connection_with_ssh_goes_through_the_tunnel(
    sshd: SshServer, demo_pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contexts: list[ToolContext]
) -> None:
    """``POST /api/v1/connections`` with ``ssh``: the same tunnel as ``db add --ssh``, by API."""
    from fastapi.testclient import TestClient

    from vozbd.server import create_app
    from vozbd.wiring import build_app, load_settings

    monkeypatch.chdir(tmp_path)
    ctx = ToolContext(
        registry=ConnectionRegistry(tmp_path / "r.sqlite3", secret_key=Fernet.generate_key().decode()),
        allow_privileged=True,
    )
    contexts.append(ctx)
    settings = load_settings(data_dir=tmp_path / "data", model="scripted/nenhum.yaml")
    ssh = {"host": f"{sshd.user}@127.0.0.1:{sshd.port}", "key_file": str(sshd.key_file),
           "known_hosts": str(sshd.known_hosts)}  # fmt: skip
    app = create_app(build_app(settings, tool_ctx=ctx), mount_ui=False, mount_mcp=False)
    with TestClient(app, base_url="http://localhost:8000") as client:
        added = client.post("/api/v1/connections", json={"name": "remoto", "url": demo_pg_url, "ssh": ssh})
        assert added.status_code == 201, added.text
        assert added.json()["ssh"] == f"{sshd.user}@127.0.0.1:{sshd.port}"
        listed = {c["name"]: c.get("ssh") for c in client.get("/api/v1/connections").json()}
        assert listed == {"demo": None, "remoto": f"{sshd.user}@127.0.0.1:{sshd.port}"}
        rows = client.post("/api/v1/connections/remoto/query", json={"sql": "SELECT COUNT(*) FROM clientes"})
        assert rows.status_code == 200 and rows.json()["rows"][0][0] > 0, rows.text
        assert ctx.caches["ssh_tunnels"]["remoto"].local_port not in (None, 5432)
        missing = {**ssh, "key_file": str(tmp_path / "nao-existe")}
        refused = client.post("/api/v1/connections", json={"name": "outro", "url": demo_pg_url, "ssh": missing})
        assert refused.status_code == 422 and "ssh.key_file: arquivo não encontrado" in refused.text
        bad = client.post("/api/v1/connections", json={"name": "outro", "url": demo_pg_url, "ssh": {"host": "a@"}})
        assert bad.status_code == 422 and "Destino SSH inválido" in bad.text
        assert "outro" not in ctx.registry.names()
