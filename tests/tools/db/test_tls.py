"""TLS against private TLS-only servers with a CA generated here: PostgreSQL 15 (``hostssl`` only, ``cert`` auth
for one role) and MariaDB (``require_secure_transport=ON``, ``REQUIRE SUBJECT`` for one user). verify-full with the
CA, client-certificate logins, a wrong CA and plain text refused with a typed pt-BR error; ``disable`` is plain text
on a server where TLS is optional (MariaDB: PyMySQL's ``ssl_disabled``); TLS through an SSH
tunnel still checks the server's own name; saved connections (``db add``) carry TLS in the URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import URL, text
from typer.testing import CliRunner

from tests.tools.db.servers import SshServer, TlsServer, running_sshd, running_tls_mariadb, running_tls_postgres
from tools.context import ToolContext
from tools.db.connect import PLAIN_MARIADB_REFUSED, get_engine, resolve_connection, test_connection
from tools.db.registry import ConnectionRegistry
from tools.errors import ConnectionFailedError
from tools.safe_query import RunQueryInput, run_query
from tools.schema_inspect.models import InspectSchemaInput
from tools.schema_inspect.tool import inspect_schema
from vozbd.connections_config import ConnectionConfig, declare

pytestmark = pytest.mark.slow  # starts two database servers (~10-20 s on a loaded 2-core machine)


@pytest.fixture(scope="module")
def pg_tls() -> Iterator[TlsServer]:
    with running_tls_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def mariadb_tls() -> Iterator[TlsServer]:
    with running_tls_mariadb() as server:
        yield server


def _context(tmp_path: Path, contexts: list[ToolContext], **connections: dict[str, Any]) -> ToolContext:
    registry = ConnectionRegistry(tmp_path / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
    configs = {name: ConnectionConfig.model_validate(raw) for name, raw in connections.items()}
    declared, policies = declare(configs, registry, environ={})
    ctx = ToolContext(registry=registry, declared_connections=declared, policies=policies, allow_privileged=True)
    contexts.append(ctx)
    return ctx


def _url(server: TlsServer, driver: str, user: str, host: str = "localhost") -> str:
    return URL.create(driver, username=user, host=host, port=server.port, database=server.database).render_as_string()


def _spec(server: TlsServer, driver: str, user: str, host: str = "localhost", **tls: str | Path) -> dict[str, Any]:
    """A declared connection: the server's URL for ``user`` at ``host`` with the TLS options ``tls``."""
    return {"url": _url(server, driver, user, host), "tls": {key: str(value) for key, value in tls.items()}}


def _failure(ctx: ToolContext, name: str) -> ConnectionFailedError:
    with pytest.raises(ConnectionFailedError) as caught:
        run_query(RunQueryInput(sql="SELECT 1", connection=name), ctx)
    return caught.value


def _works(ctx: ToolContext, name: str) -> None:
    result = run_query(RunQueryInput(sql="SELECT nome FROM clientes ORDER BY id", connection=name), ctx)
    assert result.rows == [["Ana"], ["Bruno"]]
    schema = inspect_schema(InspectSchemaInput(connection=name), ctx)
    assert [t.name for t in schema.tables] == ["clientes"]


@pytest.fixture(params=["postgresql", "mysql"])
def tls_server(request: pytest.FixtureRequest) -> tuple[str, TlsServer]:
    """Each TLS-only server with the URL driver that reaches it."""
    driver: str = request.param
    return driver, request.getfixturevalue("pg_tls" if driver == "postgresql" else "mariadb_tls")


SERVER_VERSION = {"postgresql": "PostgreSQL 15", "mysql": "MariaDB"}

# name -> (reason, words of the driver's error in the message)
FAILURES = {
    "postgresql": {
        "outra_ca": ("tls_failed", "certificate verify failed"),
        "sem_cert": ("tls_failed", "certificate"),
        "sem_tls": ("tls_failed", "no encryption"),
        "outro_nome": ("tls_failed", "does not match host name"),
    },
    # MariaDB answers "access denied" when REQUIRE SUBJECT is not met. mode = "disable" is plain text for real
    # (PyMySQL's ssl_disabled; by itself PyMySQL would upgrade to TLS), so require_secure_transport refuses it —
    # with the same 1045 "access denied" as a wrong password (MySQL would say "insecure transport": tls_failed), so
    # the message names the TLS cause (PLAIN_MARIADB_REFUSED).
    "mysql": {
        "outra_ca": ("tls_failed", "CERTIFICATE_VERIFY_FAILED"),
        "sem_cert": ("auth_failed", "recusou o usuário"),
        "sem_tls": ("auth_failed", "require_secure_transport=ON"),
        "outro_nome": ("tls_failed", "mismatch"),
    },
}


def test_verify_full_verify_ca_and_client_certificate(tls_server: tuple[str, TlsServer], tmp_path: Path,
                                                      contexts: list[ToolContext]) -> None:  # fmt: skip
    driver, server = tls_server
    pki = server.pki
    ctx = _context(
        tmp_path,
        contexts,
        ca=_spec(server, driver, server.admin_user, mode="verify-full", ca_file=pki.ca),
        cert=_spec(server, driver, server.cert_user, mode="verify-full", ca_file=pki.ca, cert_file=pki.client_cert,
                   key_file=pki.client_key),
        ip=_spec(server, driver, server.admin_user, host="127.0.0.1", mode="verify-ca",
                 ca_file=pki.ca),  # chain only: the certificate names localhost
    )  # fmt: skip
    for name in ("ca", "cert", "ip"):
        _works(ctx, name)
    tested = test_connection(ctx, resolve_connection(ctx, "cert"))
    assert tested.ok and tested.server_version and tested.server_version.startswith(SERVER_VERSION[driver])


def test_wrong_ca_wrong_name_missing_client_cert_and_plain_text_fail_clearly(
    tls_server: tuple[str, TlsServer], tmp_path: Path, contexts: list[ToolContext]
) -> None:
    driver, server = tls_server
    pki = server.pki
    specs = {
        "outra_ca": _spec(server, driver, server.admin_user, ca_file=pki.other_ca),
        "sem_cert": _spec(server, driver, server.cert_user, ca_file=pki.ca),
        "sem_tls": _spec(server, driver, server.admin_user, mode="disable"),
        # verify-full (the default) against a certificate for localhost
        "outro_nome": _spec(server, driver, server.admin_user, host="127.0.0.1", ca_file=pki.ca),
    }
    ctx = _context(tmp_path, contexts, **{name: specs[name] for name in FAILURES[driver]})
    for name, (reason, driver_words) in FAILURES[driver].items():
        error = _failure(ctx, name)
        assert error.detail["reason"] == reason, (name, error.message)
        assert driver_words in error.message, (name, error.message)
        if reason == "tls_failed":
            assert "A conexão TLS com o banco" in error.message, (name, error.message)
        plain_refused = driver == "mysql" and name == "sem_tls"
        assert (PLAIN_MARIADB_REFUSED in error.message) == plain_refused, error.message
        result = test_connection(ctx, resolve_connection(ctx, name))
        assert not result.ok and result.reason_code == reason, (name, result)
        assert (PLAIN_MARIADB_REFUSED in result.message) == plain_refused, result.message


def _ssl_cipher(ctx: ToolContext, name: str) -> str:
    """The cipher of the session vozbd opens for ``name`` ('' = plain text)."""
    with get_engine(ctx, resolve_connection(ctx, name)).connect() as connection:
        row = connection.execute(text("SHOW SESSION STATUS LIKE 'Ssl_cipher'")).one()
    return str(row[1])


def test_mariadb_disable_is_plain_text_where_tls_is_optional(
    mariadb_tls: TlsServer, tmp_path: Path, contexts: list[ToolContext]
) -> None:
    """On a server that offers TLS without demanding it, ``disable`` talks plain text; prefer/verify-full encrypt."""
    pki = mariadb_tls.pki
    admin = pymysql.connect(host="localhost", port=mariadb_tls.port, user=mariadb_tls.admin_user,
                            ssl_ca=str(pki.ca), autocommit=True)  # fmt: skip
    try:
        with admin.cursor() as cur:
            cur.execute("SET GLOBAL require_secure_transport = OFF")
        user = mariadb_tls.admin_user
        ctx = _context(
            tmp_path,
            contexts,
            claro=_spec(mariadb_tls, "mysql", user, mode="disable"),
            prefer=_spec(mariadb_tls, "mysql", user, mode="prefer"),
            cifrado=_spec(mariadb_tls, "mysql", user, mode="verify-full", ca_file=pki.ca),
        )
        _works(ctx, "claro")
        assert _ssl_cipher(ctx, "claro") == ""
        assert _ssl_cipher(ctx, "prefer") != ""  # the server offers TLS: what disable must not take
        assert _ssl_cipher(ctx, "cifrado") != ""
    finally:
        with admin.cursor() as cur:
            cur.execute("SET GLOBAL require_secure_transport = ON")
        admin.close()


# --- TLS through an SSH tunnel ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sshd() -> Iterator[SshServer]:
    with running_sshd() as server:
        yield server


def test_tls_through_an_ssh_tunnel_checks_the_servers_own_name(
    pg_tls: TlsServer, mariadb_tls: TlsServer, sshd: SshServer, tmp_path: Path, contexts: list[ToolContext]
) -> None:
    ssh = {"host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "key_file": str(sshd.key_file),
           "known_hosts": str(sshd.known_hosts)}  # fmt: skip
    ctx = _context(
        tmp_path,
        contexts,
        pg=_spec(pg_tls, "postgresql", pg_tls.admin_user, mode="verify-full", ca_file=pg_tls.pki.ca) | {"ssh": ssh},
        my=_spec(mariadb_tls, "mysql", mariadb_tls.admin_user, mode="verify-full", ca_file=mariadb_tls.pki.ca)
        | {"ssh": ssh},
        pg_outra=_spec(pg_tls, "postgresql", pg_tls.admin_user, mode="verify-full", ca_file=pg_tls.pki.other_ca)
        | {"ssh": ssh},
    )
    _works(ctx, "pg")  # dialled 127.0.0.1:<tunnel>, certificate checked for "localhost" (it names nothing else)
    _works(ctx, "my")
    assert _failure(ctx, "pg_outra").detail["reason"] == "tls_failed"


# --- saved connections: TLS options in the URL (vozbd db add) -------------------------------------------------
def test_db_add_with_tls_in_the_url(pg_tls: TlsServer, mariadb_tls: TlsServer, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from vozbd.cli.app import app

    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VOZBD_CONFIG_FILE", raising=False)
    pg, my = pg_tls.pki, mariadb_tls.pki
    pg_url = (f"postgresql://{pg_tls.cert_user}@localhost:{pg_tls.port}/tlsdb?sslmode=verify-full"
              f"&sslrootcert={pg.ca}&sslcert={pg.client_cert}&sslkey={pg.client_key}")  # fmt: skip
    my_url = (f"mysql://{mariadb_tls.cert_user}@localhost:{mariadb_tls.port}/tlsdb?ssl_ca={my.ca}"
              f"&ssl_cert={my.client_cert}&ssl_key={my.client_key}")  # fmt: skip
    runner = CliRunner()
    for name, url in (("pg_tls", pg_url), ("my_tls", my_url)):
        added = runner.invoke(app, ["db", "add", name, url])
        assert added.exit_code == 0 and "Conexão OK" in added.output, added.output
        queried = runner.invoke(app, ["query", name, "SELECT nome FROM clientes WHERE id = 2", "--json"])
        assert queried.exit_code == 0 and "Bruno" in queried.output, queried.output
    wrong = pg_url.replace(str(pg.ca), str(pg.other_ca))
    added = runner.invoke(app, ["db", "add", "pg_errada", wrong])
    assert "tls_failed" in added.output and "A conexão TLS com o banco" in added.output, added.output
