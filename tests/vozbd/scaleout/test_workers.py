"""``vozbd serve --workers N``: N processes of the REST API on one port, one app database, one /metrics."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.vozbd.scaleout.conftest import logged_conversations
from tests.vozbd.scaleout.servers import VOZBD, ApiKey, Server, server_env, start_server
from vozbd.appdb.database import AppDatabase

QUESTION = "Quantos clientes temos?"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def key() -> ApiKey:
    return ApiKey.new("workers")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared_pg_url: str, key: ApiKey) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("workers")
    env = server_env(tmp, database_url=shared_pg_url, keys=[key], rate_limit_per_key="100000/minute")
    started = start_server("workers", tmp, env, args=("--workers", "2"))
    yield started
    started.stop()


def _ask(server: Server, key: ApiKey, conversation: str) -> int:
    with server.client(headers=key.headers) as client:  # a new connection each time: any worker may take it
        response = client.post("/api/v1/ask", json={"question": QUESTION, "conversation_id": conversation})
        return response.status_code


def _metrics(server: Server, key: ApiKey) -> str:
    response = httpx.get(f"{server.url}/metrics", headers=key.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def _ask_total(text: str) -> float:
    pattern = r'vozbd_http_requests_total\{method="POST",route="/api/v1/ask",status="200"\} ([0-9.e+]+)'
    return sum(float(value) for value in re.findall(pattern, text))


def test_workers_answer_on_one_port_and_log_every_turn(server: Server, key: ApiKey, app_db: AppDatabase) -> None:
    commands = [Path(f"/proc/{pid}/cmdline").read_text() for pid in _children(server.process.pid)]
    workers = [command for command in commands if "spawn_main" in command]  # uvicorn's spawned workers
    assert len(workers) >= 2, f"expected 2 worker processes under {server.process.pid}: {workers}"
    conversations = [f"workers-{i}" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda c: _ask(server, key, c), conversations))
    assert statuses == [200] * len(conversations)
    assert set(conversations) <= logged_conversations(app_db)


def test_metrics_sum_every_worker(server: Server, key: ApiKey) -> None:
    before = _ask_total(_metrics(server, key))
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(lambda i: _ask(server, key, f"metrics-{i}"), range(8))) == {200}
    # Each scrape on a new connection may reach either worker: every one reports the sum of both.
    for _ in range(6):
        assert _ask_total(_metrics(server, key)) == before + 8


def test_workers_refuse_ui_and_mcp(tmp_path: Path) -> None:
    env = server_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}", keys=[])
    done = subprocess.run(
        [str(VOZBD), "serve", "--workers", "2", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "--no-ui --no-mcp" in done.stderr


def test_worker_socket_turns_nagle_off_for_every_accepted_connection() -> None:
    """uvicorn binds the workers' shared socket itself, without IPPROTO_TCP, so asyncio leaves Nagle on for its
    connections (each response then waited for the client's delayed ACK, ~50 ms); ``no_delay`` fixes that."""
    import socket

    import uvicorn

    from vozbd.server import no_delay

    def accepted_nodelay(listener: socket.socket) -> int:
        listener.listen()
        with socket.create_connection(listener.getsockname()[:2]), listener.accept()[0] as conn:
            return conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    config = uvicorn.Config("vozbd.server:worker_app", host="127.0.0.1", port=0, workers=2)
    with config.bind_socket() as plain:
        assert accepted_nodelay(plain) == 0  # what uvicorn alone gives the workers
    with no_delay(config.bind_socket()) as listener:
        assert accepted_nodelay(listener) != 0
