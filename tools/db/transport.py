"""How a connection reaches its server: TLS options and an SSH tunnel (asyncssh), per declared connection.

TLS: PostgreSQL takes libpq's ``sslmode``/``sslrootcert``/``sslcert``/``sslkey``; MariaDB/MySQL take PyMySQL's
``ssl`` dict (CA, client cert/key, hostname check). SSH: a local port on 127.0.0.1 forwarded through the SSH
server (optionally through a jump host) to the database host:port, opened on first use and kept for the
process; key, password, agent and ``~/.ssh/config`` (Host aliases, User, Port, IdentityFile, ProxyJump) work as
in OpenSSH because asyncssh reads the same file.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.errors import ConnectionFailedError, DriverMissingError

log = logging.getLogger(__name__)

TlsMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
TUNNEL_CONNECT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class TlsOptions:
    mode: TlsMode = "verify-full"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def connect_args(self, dialect: str) -> dict[str, Any]:
        """Driver arguments for ``dialect`` (merged into the engine's ``connect_args``)."""
        if dialect == "postgres":
            args: dict[str, Any] = {"sslmode": self.mode}
            for key, path in (("sslrootcert", self.ca_file), ("sslcert", self.cert_file), ("sslkey", self.key_file)):
                if path is not None:
                    args[key] = str(path)
            return args
        if dialect == "mysql" and self.mode not in ("disable", "allow", "prefer"):
            return {"ssl": self.ssl_context()}
        return {}

    def ssl_context(self) -> ssl.SSLContext:
        """An ``SSLContext`` (PyMySQL): verify-full checks chain and host name, verify-ca the chain only,
        require encrypts without checking the certificate."""
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if self.mode != "verify-full":
            context.check_hostname = False
        if self.mode == "require":
            context.verify_mode = ssl.CERT_NONE
        if self.cert_file is not None:
            context.load_cert_chain(str(self.cert_file), str(self.key_file) if self.key_file else None)
        return context


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
    """``[user@]host[:port]`` of a bastion to go through (like ``ssh -J``)."""
    known_hosts: Path | None = None
    """File of trusted host keys; None = ``~/.ssh/known_hosts`` (and the config file's settings)."""
    check_host_key: bool = True
    config_file: Path | None = None
    """OpenSSH client config to read; None = ``~/.ssh/config`` when it exists."""


class SshTunnel:
    """A local TCP port forwarded over SSH to ``remote_host:remote_port``, served by a private event loop."""

    def __init__(self, options: SshOptions, remote_host: str, remote_port: int):
        self.options = options
        self.remote = (remote_host, remote_port)
        self.local_port: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="vozbd-ssh-tunnel", daemon=True)
        self._connections: list[Any] = []
        self._listener: Any = None

    def _connect_kwargs(self) -> dict[str, Any]:
        o = self.options
        kwargs: dict[str, Any] = {"connect_timeout": TUNNEL_CONNECT_TIMEOUT_S}
        if o.port is not None:
            kwargs["port"] = o.port
        if o.username:
            kwargs["username"] = o.username
        if o.key_file is not None:
            kwargs["client_keys"] = [str(o.key_file.expanduser())]
        if o.passphrase:
            kwargs["passphrase"] = o.passphrase
        if o.password:
            kwargs["password"] = o.password
        if not o.check_host_key:
            kwargs["known_hosts"] = None
        elif o.known_hosts is not None:
            kwargs["known_hosts"] = str(o.known_hosts.expanduser())
        config = o.config_file.expanduser() if o.config_file else Path("~/.ssh/config").expanduser()
        kwargs["config"] = [str(config)] if config.is_file() else []
        return kwargs

    async def _open(self) -> int:
        import asyncssh

        kwargs = self._connect_kwargs()
        if self.options.jump_host:
            jump = await asyncssh.connect(
                self.options.jump_host,
                known_hosts=kwargs.get("known_hosts", ()),
                config=kwargs["config"],
                client_keys=kwargs.get("client_keys", ()),
                connect_timeout=TUNNEL_CONNECT_TIMEOUT_S,
            )
            self._connections.append(jump)
            kwargs["tunnel"] = jump
        connection = await asyncssh.connect(self.options.host, **kwargs)
        self._connections.append(connection)
        self._listener = await connection.forward_local_port("127.0.0.1", 0, *self.remote)
        return int(self._listener.get_port())

    def start(self) -> int:
        """Open the SSH connection and the forward; returns the local port. Raises ``ConnectionFailedError``."""
        try:
            import asyncssh
        except ImportError:
            raise DriverMissingError(
                "Túneis SSH precisam do pacote asyncssh. Instale com: pip install asyncssh",
                detail={"install": "pip install asyncssh"},
            ) from None
        self._thread.start()
        future: Future[int] = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        try:
            self.local_port = future.result(timeout=TUNNEL_CONNECT_TIMEOUT_S * 2 + 5)
        except (OSError, TimeoutError, ValueError, asyncssh.Error) as error:  # one typed, credential-free message
            self.close()
            log.warning("SSH tunnel to %s failed: %s", self.options.host, type(error).__name__)
            raise ConnectionFailedError(
                f"Não foi possível abrir o túnel SSH via {self.options.host}: {_describe(error)}",
                detail={"reason": "ssh_tunnel", "ssh_host": self.options.host},
            ) from None
        log.info("SSH tunnel 127.0.0.1:%s -> %s via %s", self.local_port, self.remote, self.options.host)
        return self.local_port

    def close(self) -> None:
        async def _close() -> None:
            if self._listener is not None:
                self._listener.close()
            for connection in reversed(self._connections):
                connection.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.replace("\n", " ")[:200]


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
