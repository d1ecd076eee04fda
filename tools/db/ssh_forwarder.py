"""The SSH forwarder child process of ``tools.db.transport.SshTunnel`` (``python -m tools.db.ssh_forwarder``).

Reads one JSON line on stdin (``{"options": SshOptions fields, "remote": [host, port]}``), connects with asyncssh
(through the jump host when given; ``~/.ssh/config`` read like OpenSSH does), forwards a free 127.0.0.1 port to
the remote host:port and answers one JSON line on stdout: ``{"port": N}`` or ``{"error": {"reason", "message"}}``
(pt-BR message, no secret). Then it serves until stdin closes (the parent closed the tunnel or died).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import asyncssh

from tools.db.transport import SshOptions, parse_destination

log = logging.getLogger("vozbd.ssh_forwarder")


def _options(raw: dict[str, Any]) -> SshOptions:
    paths = {"key_file", "known_hosts", "config_file"}
    known = {f.name for f in fields(SshOptions)}
    values: dict[str, Any] = {k: (Path(v) if k in paths and v else v) for k, v in raw.items() if k in known}
    return SshOptions(**values)


def _common_kwargs(o: SshOptions) -> dict[str, Any]:
    """What the target and the jump host share: timeout, key, passphrase, host keys, client config."""
    kwargs: dict[str, Any] = {"connect_timeout": o.connect_timeout_s}
    if o.key_file is not None:
        kwargs["client_keys"] = [str(o.key_file.expanduser())]
    if o.passphrase:
        kwargs["passphrase"] = o.passphrase
    if not o.check_host_key:
        kwargs["known_hosts"] = None
    elif o.known_hosts is not None:
        kwargs["known_hosts"] = str(o.known_hosts.expanduser())
    config = o.config_file.expanduser() if o.config_file else Path("~/.ssh/config").expanduser()
    kwargs["config"] = [str(config)] if config.is_file() else []
    return kwargs


async def open_forward(o: SshOptions, remote_host: str, remote_port: int) -> tuple[list[Any], Any]:
    """Connect (via the jump host when set) and listen on 127.0.0.1:<free port>; returns connections + listener."""
    connections: list[Any] = []
    kwargs = _common_kwargs(o)
    if o.port is not None:
        kwargs["port"] = o.port
    if o.username:
        kwargs["username"] = o.username
    if o.password:
        kwargs["password"] = o.password
    try:
        if o.jump_host:
            user, host, port = parse_destination(o.jump_host)
            jump_kwargs = _common_kwargs(o) | ({"username": user} if user else {}) | ({"port": port} if port else {})
            jump = await asyncssh.connect(host, **jump_kwargs)
            connections.append(jump)
            kwargs["tunnel"] = jump
        connection = await asyncssh.connect(o.host, **kwargs)
        connections.append(connection)
        listener = await connection.forward_local_port("127.0.0.1", 0, remote_host, remote_port)
    except BaseException:
        for opened in reversed(connections):
            opened.close()
        raise
    return connections, listener


def classify(error: BaseException, options: SshOptions) -> tuple[str, str]:
    """A reason code and a pt-BR explanation for a failed SSH connection."""
    if isinstance(error, asyncssh.PermissionDenied):
        return "ssh_auth_failed", "o servidor SSH recusou a autenticação (confira usuário, chave ou senha)."
    if isinstance(error, asyncssh.HostKeyNotVerifiable):
        return "ssh_host_key", (
            "a chave do servidor SSH não está entre as confiáveis (known_hosts). Confira a impressão digital "
            "e adicione-a ao known_hosts."
        )
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "ssh_timeout", f"o servidor SSH não respondeu em {options.connect_timeout_s:g} s."
    if isinstance(error, asyncssh.KeyImportError | asyncssh.KeyEncryptionError | FileNotFoundError):
        return "ssh_key_invalid", f"a chave privada não pôde ser lida ({describe(error)})."
    if isinstance(error, OSError):
        return "ssh_unreachable", f"servidor SSH inacessível (confira host e porta): {describe(error)}"
    return "ssh_error", describe(error)


def describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.replace("\n", " ")[:200]


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


async def _serve(request: dict[str, Any]) -> int:
    options = _options(request["options"])
    remote_host, remote_port = str(request["remote"][0]), int(request["remote"][1])
    try:
        connections, listener = await open_forward(options, remote_host, remote_port)
    except (OSError, TimeoutError, ValueError, asyncssh.Error) as error:
        reason, message = classify(error, options)
        _answer({"error": {"reason": reason, "message": message, "log": describe(error)}})
        return 1
    _answer({"port": int(listener.get_port())})
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)  # until the parent lets go
    listener.close()
    for connection in reversed(connections):
        connection.close()
    return 0


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="vozbd ssh: %(levelname)s %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    line = sys.stdin.buffer.readline()
    try:
        request = json.loads(line)
    except ValueError:
        _answer({"error": {"reason": "ssh_error", "message": "pedido de túnel inválido."}})
        return 2
    return asyncio.run(_serve(request))


if __name__ == "__main__":
    sys.exit(main())
