"""Private servers for transport tests: an OpenSSH ``sshd`` and TLS-only PostgreSQL / MariaDB instances.

Each runs from a temporary directory on a free 127.0.0.1 port with keys and certificates generated here; none
touches the shared servers. A missing binary skips locally and fails under ``CI=true`` (``.ci/run`` installs
``openssh-server``; PostgreSQL 15 and MariaDB are the machine's own packages).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import unavailable

SSHD = Path("/usr/sbin/sshd")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
MARIADB_INSTALL_DB = "mariadb-install-db"
MARIADBD = Path("/usr/sbin/mariadbd")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require(path: Path | str) -> str:
    found = shutil.which(str(path))
    if found is None:
        unavailable(f"{path} is not installed (apt-get install openssh-server / postgresql / mariadb-server)")
    assert found is not None
    return found


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} in {seconds} s: {log.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- OpenSSH -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    """The OS user the key logs in as (the one running the tests)."""
    key_file: Path
    """Private key authorized for ``user``."""
    other_key_file: Path
    """A valid private key that is NOT authorized."""
    known_hosts: Path
    """Holds the server's host key for ``[127.0.0.1]:port``."""
    directory: Path


def _keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vozbd-test", "-f", str(path)], check=True)
    return path


@contextlib.contextmanager
def running_sshd() -> Iterator[SshServer]:
    """``sshd -D`` on a free port: key auth for the current user, password auth (no PAM), TCP forwarding."""
    sshd = _require(SSHD)
    _require("ssh-keygen")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    directory = Path(tempfile.mkdtemp(prefix="vozbd-sshd-"))
    try:
        host_key = _keygen(directory / "host_key")
        user_key = _keygen(directory / "id_user")
        other_key = _keygen(directory / "id_other")
        (directory / "authorized_keys").write_text((directory / "id_user.pub").read_text())
        port = free_port()
        (directory / "known_hosts").write_text(
            f"[127.0.0.1]:{port} {' '.join(Path(f'{host_key}.pub').read_text().split()[:2])}\n"
        )
        config = directory / "sshd_config"
        config.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {directory / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {directory / 'authorized_keys'}\nStrictModes no\nPermitRootLogin yes\n"
            "UsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nAllowTcpForwarding yes\n"
            "X11Forwarding no\nPermitTunnel no\nLogLevel VERBOSE\nMaxStartups 50\n"
        )
        log = directory / "sshd.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, process, log)
            yield SshServer(
                port=port,
                user=pwd.getpwuid(os.getuid()).pw_name,
                key_file=user_key,
                other_key_file=other_key,
                known_hosts=directory / "known_hosts",
                directory=directory,
            )
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def throwaway_os_user(password: str) -> Iterator[str]:
    """A new OS account with ``password`` and no login shell, for SSH password auth (root only; deleted after)."""
    if os.getuid() != 0:
        unavailable("SSH password auth needs a throwaway OS user: run the tests as root")
    name = f"vozbd_ssh_{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        subprocess.run(["chpasswd"], input=f"{name}:{password}".encode(), check=True)
        yield name
    finally:
        subprocess.run(["userdel", "--force", name], check=False, capture_output=True)  # even with a session open


# --- certificates ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    """Client certificate with CN = ``client_user``."""
    client_user: str
    other_ca: Path
    """A CA that signed nothing here (a 'wrong CA')."""


def _write_key(key: object, path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    assert isinstance(key, ec.EllipticCurvePrivateKey)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


def make_pki(directory: Path, client_user: str) -> Pki:
    """A CA, a server certificate for ``localhost`` (only) and a client certificate, all signed by that CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey,
                    ca: bool, extensions: list[x509.ExtensionType]) -> x509.Certificate:  # fmt: skip
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(signer, hashes.SHA256())

    def save(cert: x509.Certificate, path: Path) -> Path:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate("vozbd test CA", ca_key, "vozbd test CA", ca_key, True, [])
    other_ca = certificate("vozbd other CA", other_key, "vozbd other CA", other_key, True, [])
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost")])  # not 127.0.0.1: name checks must matter
    server = certificate("localhost", server_key, "vozbd test CA", ca_key, False,
                         [san, x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])])  # fmt: skip
    client = certificate(client_user, client_key, "vozbd test CA", ca_key, False,
                         [x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])])  # fmt: skip
    _write_key(server_key, directory / "server.key")
    _write_key(client_key, directory / "client.key")
    return Pki(
        ca=save(ca_cert, directory / "ca.pem"),
        server_cert=save(server, directory / "server.pem"),
        server_key=directory / "server.key",
        client_cert=save(client, directory / "client.pem"),
        client_key=directory / "client.key",
        client_user=client_user,
        other_ca=save(other_ca, directory / "other-ca.pem"),
    )


# --- PostgreSQL with TLS only --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TlsServer:
    port: int
    admin_user: str
    """Superuser reached with any certificate-less TLS login (trust over hostssl)."""
    cert_user: str
    """A login that must present the client certificate (pg_hba ``cert`` / MariaDB ``REQUIRE SUBJECT``)."""
    database: str
    pki: Pki


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@contextlib.contextmanager
def running_tls_postgres(client_user: str = "vozbd_cert") -> Iterator[TlsServer]:
    """A private PostgreSQL 15 (initdb in a temp dir): ssl=on, ``hostssl`` only, ``cert`` auth for one role."""
    initdb, postgres = _require(PG_BIN / "initdb"), _require(PG_BIN / "postgres")
    directory = Path(tempfile.mkdtemp(prefix="vozbd-pgtls-"))
    directory.chmod(0o755)
    process: subprocess.Popen[bytes] | None = None
    try:
        pki = make_pki(directory, client_user)
        data = directory / "data"
        owner = pwd.getpwnam("postgres") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        data.mkdir(mode=0o700)
        os.chown(data, owner.pw_uid, owner.pw_gid)
        sockets = directory / "run"
        sockets.mkdir()
        for path in (pki.server_key, pki.server_cert, pki.ca, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-U", owner.pw_name, "--auth=trust", "--no-sync", "-E", "UTF8"]),
            check=True,
            capture_output=True,
        )
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"hostssl all {client_user} 127.0.0.1/32 cert\n"
            "hostssl all all 127.0.0.1/32 trust\n"
            "hostnossl all all 0.0.0.0/0 reject\n"
        )
        port = free_port()
        log = directory / "postgres.log"
        with log.open("wb") as out:
            os.chown(log, owner.pw_uid, owner.pw_gid)
            process = subprocess.Popen(
                _as_postgres([
                    postgres, "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                    "-c", f"unix_socket_directories={sockets}", "-c", "ssl=on",
                    "-c", f"ssl_cert_file={pki.server_cert}", "-c", f"ssl_key_file={pki.server_key}",
                    "-c", f"ssl_ca_file={pki.ca}", "-c", "fsync=off", "-c", "shared_buffers=16MB",
                ]),
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_for_port(port, process, log)
        psql = [str(PG_BIN / "psql"), "-h", str(sockets), "-p", str(port), "-U", owner.pw_name, "-v", "ON_ERROR_STOP=1"]
        for _ in range(50):  # the socket accepts before the server accepts logins
            if (
                subprocess.run(
                    _as_postgres([*psql, "-d", "postgres", "-c", "SELECT 1"]), capture_output=True
                ).returncode
                == 0
            ):
                break
            time.sleep(0.1)
        setup = ["-c", "CREATE DATABASE tlsdb", "-c", f"CREATE ROLE {client_user} LOGIN"]
        subprocess.run(_as_postgres([*psql, "-d", "postgres", *setup]), check=True, capture_output=True)
        tables = (
            "CREATE TABLE clientes (id int PRIMARY KEY, nome text NOT NULL);"
            "INSERT INTO clientes VALUES (1, 'Ana'), (2, 'Bruno');"
            f"GRANT SELECT ON clientes TO {client_user};"
        )
        subprocess.run(_as_postgres([*psql, "-d", "tlsdb", "-c", tables]), check=True, capture_output=True)
        yield TlsServer(port=port, admin_user=owner.pw_name, cert_user=client_user, database="tlsdb", pki=pki)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


# --- MariaDB with TLS only ----------------------------------------------------------------------------------
@contextlib.contextmanager
def running_tls_mariadb(client_user: str = "vozbd_cert") -> Iterator[TlsServer]:
    """A private MariaDB (mariadb-install-db in a temp dir) with ``require_secure_transport=ON``; a user that must
    present the client certificate (``REQUIRE SUBJECT``) and a password-less admin over TLS."""
    install_db, mariadbd = _require(MARIADB_INSTALL_DB), _require(MARIADBD)
    directory = Path(tempfile.mkdtemp(prefix="vozbd-mariadbtls-"))
    process: subprocess.Popen[bytes] | None = None
    user = ["--user=root"] if os.getuid() == 0 else []
    try:
        pki = make_pki(directory, client_user)
        data, socket_path = directory / "data", directory / "mariadb.sock"
        subprocess.run(
            [install_db, "--no-defaults", f"--datadir={data}", *user, "--auth-root-authentication-method=normal",
             "--skip-test-db", "--skip-name-resolve"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        port = free_port()
        log = directory / "mariadb.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [mariadbd, "--no-defaults", f"--datadir={data}", *user, f"--port={port}", "--bind-address=127.0.0.1",
                 f"--socket={socket_path}", f"--pid-file={directory / 'mariadb.pid'}", "--skip-name-resolve",
                 f"--ssl-ca={pki.ca}", f"--ssl-cert={pki.server_cert}", f"--ssl-key={pki.server_key}",
                 "--require-secure-transport=ON", "--innodb-buffer-pool-size=16M", "--skip-log-bin",
                 f"--log-error={log}"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_for_port(port, process, log)
        import pymysql

        admin = pymysql.connect(unix_socket=str(socket_path), user="root", autocommit=True)
        with admin.cursor() as cur:
            for statement in (
                "CREATE DATABASE tlsdb",
                "CREATE TABLE tlsdb.clientes (id int PRIMARY KEY, nome varchar(40) NOT NULL)",
                "INSERT INTO tlsdb.clientes VALUES (1, 'Ana'), (2, 'Bruno')",
                "CREATE USER 'tlsadmin'@'%'",
                "GRANT ALL ON *.* TO 'tlsadmin'@'%'",
                f"CREATE USER '{client_user}'@'%' REQUIRE SUBJECT '/CN={client_user}'",
                f"GRANT SELECT ON tlsdb.* TO '{client_user}'@'%'",
            ):
                cur.execute(statement)
        admin.close()
        yield TlsServer(port=port, admin_user="tlsadmin", cert_user=client_user, database="tlsdb", pki=pki)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)
