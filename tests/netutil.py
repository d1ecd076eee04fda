"""Network helpers shared by tests that start real servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


@contextmanager
def serve_in_thread(app: Any, port: int | None = None, *, join_s: float = 10, **config: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn on 127.0.0.1:``port`` (any free one by default) in a thread; yields its
    ``http://`` base URL once it accepts connections, stops it afterwards. ``config``: more ``uvicorn.Config``."""
    import uvicorn

    port = port if port is not None else free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=join_s)
