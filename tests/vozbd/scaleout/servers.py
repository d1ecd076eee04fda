"""Real ``vozbd serve`` processes for the scale-out and fault tests (bound to 127.0.0.1, free ports)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.netutil import free_port

SCRIPT = Path(__file__).parent / "script.yaml"
VOZBD = Path(sys.executable).with_name("vozbd")
# A Redis database of its own, so counters of other test runs on this machine never mix with ours.
REDIS_URL = "redis://127.0.0.1:6379/9"


@dataclass
class ApiKey:
    name: str
    token: str

    @classmethod
    def new(cls, label: str) -> ApiKey:
        return cls(f"{label}{secrets.token_hex(3)}", secrets.token_hex(16))

    @property
    def spec(self) -> str:
        return f"{self.name}:{self.token}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)  # type: ignore[arg-type]  # httpx.Client keyword arguments passed through

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def server_env(tmp: Path, *, database_url: str, keys: list[ApiKey], **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
    env.update(
        {
            "VOZBD_DATA_DIR": str(tmp),
            "VOZBD_DATABASE_URL": database_url,
            "VOZBD_REDIS_URL": REDIS_URL,
            "VOZBD_MODEL": f"scripted/{SCRIPT}",
            "VOZBD_API_KEYS": ",".join(k.spec for k in keys),
            "VOZBD_RATE_LIMIT_PER_IP": "100000/minute",
            "VOZBD_LOG_LEVEL": "WARNING",
            **{f"VOZBD_{name.upper()}": value for name, value in settings.items()},
        }
    )
    return env


def start_server(
    name: str, tmp: Path, env: dict[str, str], *, timeout_s: float = 90, args: tuple[str, ...] = ()
) -> Server:
    """Start ``vozbd serve --no-ui --no-mcp [args]`` and wait for /health (its own data dir: no shared local state)."""
    data = tmp / name
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = tmp / f"{name}.log"
    env = env | {"VOZBD_DATA_DIR": str(data)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VOZBD), "serve", "--no-ui", "--no-mcp", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            cwd=data,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return wait_healthy(Server(name, port, process, log_path), timeout_s)


def wait_healthy(server: Server, timeout_s: float) -> Server:
    """``server`` once it answers /health; an AssertionError with its log if it exits or stays silent."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"{server.name} exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.kill()
    raise AssertionError(f"{server.name} did not answer /health in {timeout_s} s:\n{server.log()}")


def stop_all(servers: Iterator[Server] | list[Server]) -> None:
    for server in servers:
        server.stop()
