"""Network helpers shared by tests that start real servers."""

from __future__ import annotations

import socket


def free_port(ports: range | None = None) -> int:
    """A TCP port free on 127.0.0.1 right now: any (the kernel's pick), or the first free one of ``ports``."""
    for port in ports if ports is not None else (0,):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free port in {ports}")
