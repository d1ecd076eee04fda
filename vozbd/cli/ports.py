"""The address a server command is about to listen on, checked before it starts (``serve``, ``ui``)."""

from __future__ import annotations

import errno
import socket

import typer


def check_port_free(host: str, port: int) -> None:
    """Bind the address once, as uvicorn will (SO_REUSEADDR), and release it: a port already taken is a pt-BR
    error (exit 1) before the banner, not uvicorn's "[Errno 98] address already in use" after it, with exit 3
    (the CLI's unsafe-SQL code) from ``serve`` and exit 0 from ``ui``."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = "já está em uso (outro vozbd?)" if error.errno == errno.EADDRINUSE else f"indisponível: {error}"
        typer.echo(f"Erro: a porta {port} em {host} {reason}. Escolha outra com --port (ou VOZBD_PORT).", err=True)
        raise typer.Exit(1) from None
