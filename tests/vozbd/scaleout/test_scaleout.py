"""Scale-out for real: two ``vozbd serve`` processes on one PostgreSQL app database and one Redis.

- a conversation started on one process continues, with memory, on the other;
- a rate limit of K requests per API key holds across both (counted in Redis);
- every turn from both lands in the one ``conversation_logs`` table;
- killing a process mid-run loses no acknowledged (HTTP 200) turn, and the other keeps serving.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.vozbd.scaleout.conftest import logged_conversations
from tests.vozbd.scaleout.servers import ApiKey, Server, server_env, start_server, stop_all
from vozbd.appdb.database import AppDatabase

pytestmark = pytest.mark.slow  # starts real server processes

LIMIT_K = 6
KEYS = {label: ApiKey.new(label) for label in ("conv", "limit", "kill")}


@pytest.fixture(scope="module")
def pair(
    shared_pg_url: str, app_db: AppDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    tmp = tmp_path_factory.mktemp("scaleout")
    env = server_env(tmp, database_url=shared_pg_url, keys=list(KEYS.values()), rate_limit_per_key=f"{LIMIT_K}/minute")
    servers: list[Server] = []
    try:
        servers.append(start_server("a", tmp, env))
        servers.append(start_server("b", tmp, env))
        yield servers[0], servers[1]
    finally:
        stop_all(servers)


def _ask(server: Server, key: ApiKey, question: str, conversation_id: str) -> httpx.Response:
    body = {"question": question, "conversation_id": conversation_id}
    return httpx.post(f"{server.url}/api/v1/ask", json=body, headers=key.headers, timeout=60)


def test_conversation_continues_with_memory_on_the_other_process(
    pair: tuple[Server, Server], app_db: AppDatabase
) -> None:
    a, b = pair
    first = _ask(a, KEYS["conv"], "Quantos clientes temos?", "moving-conv")
    assert first.status_code == 200, first.text
    assert first.json()["answer"].startswith("Temos ")
    second = _ask(b, KEYS["conv"], "O que eu perguntei antes?", "moving-conv")
    assert second.status_code == 200, second.text
    assert second.json()["answer"] == "Antes você perguntou: Quantos clientes temos?"
    # Both turns are in the one log, and either process lists the whole conversation.
    turns = app_db.logs.get_conversation("moving-conv")
    assert [t.question for t in turns] == ["Quantos clientes temos?", "O que eu perguntei antes?"]
    assert {t.user_id for t in turns} == {KEYS["conv"].name} and {t.surface for t in turns} == {"api"}
    listed = httpx.get(f"{a.url}/api/v1/conversations/moving-conv", headers=KEYS["conv"].headers, timeout=30)
    assert listed.status_code == 200 and len(listed.json()["turns"]) == 2


def test_rate_limit_is_shared_across_processes(pair: tuple[Server, Server]) -> None:
    a, b = pair
    statuses: list[int] = []
    retry_after: list[str] = []
    for i in range(LIMIT_K + 4):
        server = (a, b)[i % 2]  # alternate: each process alone would allow K
        response = httpx.get(f"{server.url}/api/v1/conversations", headers=KEYS["limit"].headers, timeout=30)
        statuses.append(response.status_code)
        if response.status_code == 429:
            retry_after.append(response.headers.get("retry-after", ""))
            assert response.json()["code"] == "rate_limited"
    assert statuses == [200] * LIMIT_K + [429] * 4
    assert all(value.isdigit() and int(value) >= 1 for value in retry_after)


def test_logs_from_both_processes_land_in_one_table(pair: tuple[Server, Server], app_db: AppDatabase) -> None:
    a, b = pair
    ids = [f"both-{i}-{uuid.uuid4().hex[:6]}" for i in range(4)]
    for i, conversation in enumerate(ids):
        response = _ask((a, b)[i % 2], KEYS["kill"], "Quantos clientes temos?", conversation)
        assert response.status_code == 200, response.text
    assert set(ids) <= logged_conversations(app_db)
    rows = app_db.logs.list_turns(user_id=KEYS["kill"].name)
    assert {r.conversation_id for r in rows} >= set(ids)
    assert all(r.sql == "SELECT COUNT(*) AS total FROM clientes" and r.row_count == 1 for r in rows)


def test_killing_a_process_loses_no_acknowledged_turn(
    shared_pg_url: str, app_db: AppDatabase, pair: tuple[Server, Server], tmp_path: Path
) -> None:
    _, b = pair
    key = ApiKey.new("victim")
    env = server_env(tmp_path, database_url=shared_pg_url, keys=[key], rate_limit_per_key="100000/minute")
    victim = start_server("victim", tmp_path, env)
    acknowledged: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(n: int) -> None:
        i = 0
        while not stop.is_set():
            conversation = f"kill-{n}-{i}-{uuid.uuid4().hex[:6]}"
            i += 1
            try:
                response = _ask(victim, key, "Quantos clientes temos?", conversation)
            except httpx.HTTPError:
                with lock:
                    failed.append(conversation)
                continue
            with lock:
                (acknowledged if response.status_code == 200 else failed).append(conversation)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for n in range(8):
                pool.submit(worker, n)
            deadline = time.monotonic() + 60
            while len(acknowledged) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            victim.kill()  # SIGKILL mid-run: requests in flight get no answer
            time.sleep(1.0)
            stop.set()
    finally:
        victim.kill()
    assert len(acknowledged) >= 20, victim.log()
    assert failed, "the kill should have cut some requests short"
    logged = logged_conversations(app_db)
    assert set(acknowledged) <= logged, f"acknowledged turns missing from the log: {set(acknowledged) - logged}"
    # The survivor keeps serving, with the same database.
    response = _ask(b, KEYS["conv"], "Quantos clientes temos?", "after-kill")
    assert response.status_code == 200
