"""Faults on a real ``vozbd serve`` process: PostgreSQL backends terminated mid-run, Redis down.

- ``pg_terminate_backend`` on every app-database connection, repeatedly, while requests run: the affected requests
  get 503 with a clear pt-BR message (never a 500), later requests succeed without a restart, and every
  request that returned 200 has its row in ``conversation_logs``;
- Redis unreachable: rate limits fall back to in-process counting (documented), requests still succeed and the
  limit still answers 429, never 500; /ready reports Redis as down but not required.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.vozbd.scaleout.conftest import logged_conversations
from tests.vozbd.scaleout.servers import ApiKey, free_port, server_env, start_server
from vozbd.appdb.database import AppDatabase

pytestmark = pytest.mark.slow  # starts real server processes


def _terminate_backends(admin_conninfo: str, dbname: str) -> int:
    with psycopg.connect(admin_conninfo, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND application_name LIKE 'vozbd%%'",
            (dbname,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_terminated_postgres_backends_give_503_then_recover_without_losing_rows(
    shared_pg_url: str, app_db: AppDatabase, tmp_path: Path
) -> None:
    key = ApiKey.new("fault")
    env = server_env(tmp_path, database_url=shared_pg_url, keys=[key], rate_limit_per_key="100000/minute")
    server = start_server("pgfault", tmp_path, env)
    base, dbname = shared_pg_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)
    outcomes: list[tuple[str, int, dict[str, object]]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(n: int) -> None:
        i = 0
        with httpx.Client(base_url=server.url, headers=key.headers, timeout=60) as client:
            while not stop.is_set():
                conversation = f"fault-{n}-{i}-{uuid.uuid4().hex[:6]}"
                i += 1
                body = {"question": "Quantos clientes temos?", "conversation_id": conversation}
                response = client.post("/api/v1/ask", json=body)
                with lock:
                    outcomes.append((conversation, response.status_code, response.json()))

    terminated = 0
    try:
        with httpx.Client(base_url=server.url, headers=key.headers, timeout=60) as client:  # schema cache warm
            body = {"question": "Quantos clientes temos?", "conversation_id": "fault-warm-up"}
            assert client.post("/api/v1/ask", json=body).status_code == 200
        with ThreadPoolExecutor(max_workers=6) as pool:
            for n in range(6):
                pool.submit(worker, n)
            time.sleep(1.0)  # pools full of connections
            # Failover-like events (every app connection killed at once, five times 50 ms apart: idle connections
            # are replaced at checkout without failing anyone, so a request is hit only when its statement is in
            # flight), until some request was hit.
            for _ in range(20):
                for _ in range(5):
                    terminated += _terminate_backends(base + "/postgres", dbname)
                    time.sleep(0.05)
                time.sleep(1.0)
                with lock:
                    if sum(1 for _, status, _ in outcomes if status != 200) >= 2:
                        break
            time.sleep(1.0)
            stop.set()
        statuses = Counter(status for _, status, _ in outcomes)
        assert terminated > 0
        assert set(statuses) <= {200, 503}, f"unexpected statuses {statuses}: {server.log()[-3000:]}"
        assert statuses[503] >= 1, f"no request was affected ({statuses}, {terminated} backends terminated)"
        for _, status, body in outcomes:
            if status == 503:
                assert body["code"] in ("memory_unavailable", "app_db_unavailable"), body
                assert "indisponível" in str(body["message"])
        ok = {conversation for conversation, status, _ in outcomes if status == 200}
        logged = logged_conversations(app_db)
        assert ok <= logged, f"{len(ok - logged)} acknowledged turns missing"

        # Later requests succeed without a restart.
        with httpx.Client(base_url=server.url, headers=key.headers, timeout=60) as client:
            question = "Quantos clientes temos?"
            after = [
                client.post("/api/v1/ask", json={"question": question, "conversation_id": f"after-{i}"})
                for i in range(10)
            ]
        assert [r.status_code for r in after] == [200] * 10
        assert server.process.poll() is None
        print(f"pg fault: {dict(statuses)} over {len(outcomes)} requests, {terminated} backends terminated")
    finally:
        stop.set()
        server.stop()


def test_redis_down_degrades_to_in_process_limits_never_500(shared_pg_url: str, tmp_path: Path) -> None:
    key = ApiKey.new("noredis")
    env = server_env(tmp_path, database_url=shared_pg_url, keys=[key], rate_limit_per_key="3/minute")
    env["VOZBD_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = start_server("noredis", tmp_path, env)
    try:
        with httpx.Client(base_url=server.url, headers=key.headers, timeout=30) as client:
            statuses = [client.get("/api/v1/conversations").status_code for _ in range(5)]
            ready = client.get("/ready")
        assert statuses == [200, 200, 200, 429, 429]
        checks = ready.json()["checks"]
        assert checks["redis"]["ok"] is False and checks["redis"]["required"] is False
        assert ready.status_code != 500, ready.json()
    finally:
        server.stop()
