"""How a connection reaches its server: TLS options and an SSH tunnel (asyncssh), per declared connection.

TLS: PostgreSQL takes libpq's ``sslmode``/``sslrootcert``/``sslcert``/``sslkey``; MariaDB/MySQL take PyMySQL's
``ssl`` context (CA, client cert/key, hostname check), or ``ssl_disabled`` for ``disable`` (plain text even when
the server offers TLS). SSH: a local port on 127.0.0.1 forwarded through the SSH server (optionally through a jump
host) to the database host:port, opened on first use and kept for the process; key, password, agent and
``~/.ssh/config`` (Host aliases, User, Port, IdentityFile, ProxyJump) work as in OpenSSH because asyncssh reads the
same file.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import re
import ssl
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.errors import ConnectionFailedError, DriverMissingError, InvalidInputError

log = logging.getLogger(__name__)

TlsMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
TUNNEL_CONNECT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class TlsOptions:
    mode: TlsMode = "verify-full"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def connect_args(self, dialect: str, *, tunnel_port: int | None = None) -> dict[str, Any]:
        """Driver arguments for ``dialect`` (merged into the engine's ``connect_args``).

        ``tunnel_port``: the connection goes through a local SSH forward on 127.0.0.1:<port> while the server
        name in the URL stays the one its certificate is checked against (libpq ``hostaddr``; for PyMySQL an
        ``SSLContext`` that sends and checks the URL's host name).
        """
        if dialect == "postgres":
            args: dict[str, Any] = {"sslmode": self.mode}
            for key, path in (("sslrootcert", self.ca_file), ("sslcert", self.cert_file), ("sslkey", self.key_file)):
                if path is not None:
                    args[key] = str(path.expanduser())
            if tunnel_port is not None:
                args |= {"hostaddr": "127.0.0.1", "port": tunnel_port}
            return args
        if dialect == "mysql":
            if self.mode == "disable":  # PyMySQL (>= 1.2) otherwise upgrades to TLS whenever the server offers it
                return {"ssl_disabled": True}
            if self.mode not in ("allow", "prefer"):  # allow/prefer: PyMySQL's own opportunistic, unverified TLS
                return {"ssl": self.ssl_context()}
        return {}

    def ssl_context(self, server_hostname: str | None = None) -> ssl.SSLContext:
        """An ``SSLContext`` (PyMySQL): verify-full checks chain and host name, verify-ca the chain only,
        require encrypts without checking the certificate. ``server_hostname`` replaces the name the driver
        passes (the SSH tunnel's 127.0.0.1) by the database server's own name."""
        context = _NamedHostContext(ssl.PROTOCOL_TLS_CLIENT)
        context.fixed_hostname = server_hostname
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file.expanduser()))
        else:
            context.load_default_certs()
        if self.mode != "verify-full":
            context.check_hostname = False
        if self.mode == "require":
            context.verify_mode = ssl.CERT_NONE
        if self.cert_file is not None:
            key = str(self.key_file.expanduser()) if self.key_file else None
            context.load_cert_chain(str(self.cert_file.expanduser()), key)
        return context


class _NamedHostContext(ssl.SSLContext):
    """An ``SSLContext`` that checks ``fixed_hostname`` instead of the address the driver dialled (a tunnel)."""

    fixed_hostname: str | None = None

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> Any:
        if self.fixed_hostname:
            kwargs["server_hostname"] = self.fixed_hostname
        return super().wrap_socket(sock, *args, **kwargs)


@dataclass(frozen=True)
class SshOptions:
    host: str
    """SSH server, or a Host alias of ``~/.ssh/config``."""
    port: int | None = None
    username: str | None = None
    key_file: Path | None = None
    password: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    jump_host: str | None = None
    """``[user@]host[:port]`` of a bastion to go through (like ``ssh -J``); key auth (same key and known_hosts)."""
    known_hosts: Path | None = None
    """File of trusted host keys; None = ``~/.ssh/known_hosts`` (and the config file's settings)."""
    check_host_key: bool = True
    config_file: Path | None = None
    """OpenSSH client config to read; None = ``~/.ssh/config`` when it exists."""
    connect_timeout_s: float = TUNNEL_CONNECT_TIMEOUT_S
    """Bound of each SSH connection (TCP, handshake and authentication)."""


def parse_destination(text: str) -> tuple[str | None, str, int | None]:
    """``[user@]host[:port]`` (also ``[v6]:port``) -> (user, host, port)."""
    user, _, rest = text.strip().rpartition("@")
    match = re.fullmatch(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:]+)(?::(?P<port>\d+))?", rest)
    if not match or not rest:
        raise ValueError(f"invalid SSH destination {text!r}: use [user@]host[:port]")
    host = match["v6"] or match["host"]
    port = match["p6"] or match["port"]
    return (user or None), host, (int(port) if port else None)


def saved_tunnel(
    destination: str,
    key_file: Path | None = None,
    known_hosts: Path | None = None,
    *,
    labels: tuple[str, str, str] = ("--ssh", "--ssh-key", "--ssh-known-hosts"),
) -> SshOptions:
    """The SSH tunnel of a saved connection: ``[user@]host[:port]`` (or a ``~/.ssh/config`` alias), a key file
    and a known-hosts file, made absolute so the connection works from any folder.

    Raises ``InvalidInputError`` (pt-BR) for a bad destination or a file that does not exist; ``labels`` name the
    three values in the message as the caller calls them (CLI flags, API fields).
    """
    try:
        user, host, port = parse_destination(destination)
    except ValueError:
        raise InvalidInputError(
            f"Destino SSH inválido ({labels[0]}): {destination!r}. Use host, usuario@host, usuario@host:porta ou um "
            "apelido (Host) do ~/.ssh/config.",
            detail={"field": labels[0]},
        ) from None
    files = {labels[1]: key_file, labels[2]: known_hosts}
    for label, path in files.items():
        if path is not None and not path.expanduser().is_file():
            raise InvalidInputError(f"{label}: arquivo não encontrado: {path}.", detail={"field": label})
    key, hosts = (path.expanduser().resolve() if path else None for path in files.values())
    return SshOptions(host=host, port=port, username=user, key_file=key, known_hosts=hosts)


def ssh_destination(options: SshOptions) -> str:
    """``user@host:port`` as configured (parts left to ``~/.ssh/config`` omitted); never a secret."""
    user = f"{options.username}@" if options.username else ""
    port = f":{options.port}" if options.port else ""
    return f"{user}{options.host}{port}"


class SshTunnel:
    """A local TCP port forwarded over SSH to ``remote_host:remote_port``.

    The forward runs in a child process (``python -m tools.db.ssh_forwarder``, asyncssh), not in a thread of
    this one: database drivers make blocking C calls that keep the GIL (libpq's ``PQprepare`` in psycopg's C
    build) and would stall an in-process forwarder that must carry their own bytes — a deadlock. The options
    (password included) go to the child on its stdin, never on its command line; the child exits when this
    process closes the pipe or dies.
    """

    def __init__(self, options: SshOptions, remote_host: str, remote_port: int):
        self.options = options
        self.remote = (remote_host, remote_port)
        self.local_port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def _request(self) -> bytes:
        o = self.options
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(o).items()}
        return json.dumps({"options": options, "remote": list(self.remote)}).encode() + b"\n"

    def start(self) -> int:
        """Open the SSH connection and the forward; returns the local port.

        Raises ``ConnectionFailedError`` (pt-BR message; ``detail.reason`` = ``ssh_auth_failed``,
        ``ssh_host_key``, ``ssh_timeout``, ``ssh_unreachable``, ``ssh_key_invalid`` or ``ssh_error``), or
        ``DriverMissingError`` without asyncssh; never waits longer than the connect timeout (twice with a jump
        host) plus a few seconds.
        """
        if importlib.util.find_spec("asyncssh") is None:
            raise DriverMissingError(
                "Túneis SSH precisam do pacote asyncssh. Instale com: pip install asyncssh",
                detail={"install": "pip install asyncssh"},
            )
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tools.db.ssh_forwarder"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(self._request())
        self._process.stdin.flush()
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vozbd-ssh-tunnel")
        line = reader.submit(self._process.stdout.readline)
        reader.shutdown(wait=False)
        wait_s = self.options.connect_timeout_s * (2 if self.options.jump_host else 1) + 10
        try:
            answer = json.loads(line.result(timeout=wait_s) or b"{}")
        except (TimeoutError, ValueError):
            answer = {"error": {"reason": "ssh_timeout",
                                "message": f"o servidor SSH não respondeu em {wait_s:g} s."}}  # fmt: skip
        if "port" not in answer:
            self.close()
            error = answer.get("error") or {"reason": "ssh_error", "message": "o processo do túnel terminou."}
            log.warning("SSH tunnel to %s failed (%s): %s", self.options.host, error["reason"], error.get("log", ""))
            raise ConnectionFailedError(
                f"Não foi possível abrir o túnel SSH via {self.options.host}: {error['message']}",
                detail={"reason": error["reason"], "ssh_host": self.options.host},
            )
        self.local_port = int(answer["port"])
        log.info("SSH tunnel 127.0.0.1:%s -> %s via %s", self.local_port, self.remote, self.options.host)
        return self.local_port

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


@dataclass(frozen=True)
class Transport:
    """TLS and/or SSH of one declared connection."""

    tls: TlsOptions | None = None
    ssh: SshOptions | None = None


@dataclass(frozen=True)
class DeclaredConnection:
    """A connection declared in the config file, resolved by the composition root (password already read)."""

    url: Any = field(repr=False)
    """``sqlalchemy.URL`` with the password."""
    transport: Transport | None = None
