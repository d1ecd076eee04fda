"""Load on ``POST /api/v1/ask``: N requests at concurrency C against one real ``vozbd serve`` process.

The model is scripted (no network, no LLM time), so the latency measured is vozbd's own: HTTP + auth/limits +
agent graph + safe-query on the demo database + checkpointer + the ``conversation_logs`` write. Runs once with
the app database on SQLite and once on PostgreSQL (a scratch database, dropped afterwards), and prints p50/p95,
the 5xx count, the rows in ``conversation_logs`` (must equal N) and, as a baseline measured in the same run,
the same turns called in-process (``Agent.ask`` without HTTP or logging) at the same concurrency: the difference
is the API's overhead. A second phase sends 50 requests one at a time (overhead without queueing).
Goal: p95 ≤ 150 ms on 2 cores, zero 5xx, exactly N rows. Last measured (2026-12-05 02:31, quiet machine;
README "Load"): one process, SQLite p50 249 / p95 343 ms at 10.8 ms of server CPU per request, PostgreSQL p50
288 / p95 366 ms at 11.7 ms; zero 5xx, 500 rows each. The stack alone (``--floor``) measured p50 87 / p95 204 ms
at 3.7 ms: the goal is out of reach of this stack in one process on 2 cores. Runs minutes apart differ by ±30 %:
compare code with ``bench/load_ab.py``, which interleaves them.

The HTTP client runs in its own process (``--client`` mode of this script), so its CPU is not the server's:
the report gives the server's CPU per request (every process of ``vozbd serve``, read from /proc) and the
client's. On a closed loop of C clients over K cores, p95 is roughly C × (server CPU per request) / K:
that CPU figure is the one to cut. ``--workers N`` runs ``vozbd serve --workers N`` (both cores).

``--floor`` first loads ``bench/stack_floor.py`` in the same way: FastAPI + uvicorn + a LangGraph turn of the
same shape with a minimal LangChain model, and none of vozbd's own work. Its p95 at the same concurrency is the
floor of this stack on this machine; vozbd's figures are then also given as ratios to it.

    .venv/bin/python bench/load.py [--requests 500] [--concurrency 25] [--only sqlite|postgres] [--workers 2]
                                   [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from vozbd_core.stats import percentiles

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRIPT = ROOT / "tests" / "agent" / "scripts" / "demo.yaml"
QUESTION = "Quantos clientes temos?"
TOKEN = "bench-token-0123456789abcdef"
PG: dict[str, Any] = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SEQUENTIAL = 50  # requests sent one at a time after the load: the per-request overhead without queueing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(values: list[float]) -> tuple[float, ...]:
    return percentiles(values, 50, 95)


def _server(data_dir: Path, port: int, database_url: str | None, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "VOZBD_DATA_DIR": str(data_dir),
        "VOZBD_MODEL": f"scripted/{SCRIPT}",
        "VOZBD_API_KEYS": f"bench:{TOKEN}",
        "VOZBD_RATE_LIMIT_PER_KEY": "100000/minute",
        "VOZBD_RATE_LIMIT_PER_IP": "100000/minute",
        "VOZBD_LOG_LEVEL": "WARNING",
    }
    env.pop("VOZBD_REDIS_URL", None)
    if database_url:
        env["VOZBD_DATABASE_URL"] = database_url
    else:
        env.pop("VOZBD_DATABASE_URL", None)
    serve = ["serve", "--no-ui", "--no-mcp", "--port", str(port), "--workers", str(workers)]
    command = [sys.executable, "-c", "import sys; from vozbd.cli.app import run; sys.argv[0] = 'vozbd'; run()", *serve]
    return subprocess.Popen(command, env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _floor_server(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(ROOT / "bench" / "stack_floor.py"), "--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_floor(requests: int, concurrency: int) -> tuple[float, float, float | None]:
    """Load the stack-only app (``bench/stack_floor.py``) like vozbd: (p50, p95, server CPU ms per request)."""
    port = _free_port()
    process = _floor_server(port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, process)
        load = _load_in_client(base, requests, concurrency, process.pid, 4)
    finally:
        process.terminate()
        process.wait(timeout=30)
    p50, p95 = _percentiles(load["latencies"])
    cpu = load.get("server_cpu_ms")
    errors = sum(n for status, n in load["statuses"].items() if status != 200)
    print(
        f"floor    {requests} req @ {concurrency} (FastAPI, uvicorn, LangGraph, LangChain only: bench/stack_floor.py):"
        f" p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  server CPU {f'{cpu:.1f} ms' if cpu is not None else 'n/a'}"
        f" per request  non-200 {errors}"
    )
    return p50, p95, cpu


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def _tree_cpu_s(root: int) -> float | None:
    """User + system CPU seconds of ``root`` and every descendant (Linux /proc); None elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    if root not in stats:
        return None
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in stats.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(stats[pid][1] for pid in tree)


def _load_in_client(base: str, requests: int, concurrency: int, server_pid: int, warm: int) -> dict[str, Any]:
    """Run ``_load`` in a separate client process; returns its latencies, statuses and both CPU figures."""
    command = [sys.executable, __file__, "--client", base, "--requests", str(requests)]
    command += ["--concurrency", str(concurrency), "--warm", str(warm)]
    before = _tree_cpu_s(server_pid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    after = _tree_cpu_s(server_pid)
    result: dict[str, Any] = json.loads(done.stdout)
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    if before is not None and after is not None:
        result["server_cpu_ms"] = (after - before) * 1000 / requests
    return result


def _client_main(base: str, requests: int, concurrency: int, warm: int) -> None:
    cpu = time.process_time()
    latencies, statuses = asyncio.run(_load(base, requests, concurrency, warm))
    client_cpu_ms = (time.process_time() - cpu) * 1000 / requests
    print(json.dumps({"latencies": latencies, "statuses": statuses, "client_cpu_ms": client_cpu_ms}))


async def _load(base: str, requests: int, concurrency: int, warm: int = 1) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as client:

        async def one(i: int) -> None:
            async with gate:
                start = time.perf_counter()
                response = await client.post("/api/v1/ask", json={"question": QUESTION, "conversation_id": f"c{i}"})
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        # warm-up, enough to reach every worker (its turns are subtracted in the log rows check)
        await asyncio.gather(*(client.post("/api/v1/ask", json={"question": QUESTION}) for _ in range(warm)))
        await asyncio.gather(*(one(i) for i in range(requests)))
    return latencies, statuses


def _count_logs(database_url: str) -> int:
    from vozbd.appdb.database import open_app_database

    database = open_app_database(database_url, migrate=False)
    try:
        return database.logs.count()
    finally:
        database.dispose()


async def _baseline(requests: int, concurrency: int) -> list[float]:
    """The same turns in-process at the same concurrency: agent graph + safe-query + SQLite checkpointer, without
    HTTP, auth, rate limits or the log write. HTTP latency minus this is what the API adds."""
    from agent.checkpoint import SqliteCheckpoints
    from agent.llm.scripted import ScriptedChatModel, load_script
    from agent.service import Agent
    from tools.context import ToolContext
    from tools.db.registry import ConnectionRegistry

    with tempfile.TemporaryDirectory() as tmp:
        registry = ConnectionRegistry(Path(tmp) / "r.sqlite3", secret_key=None, key_file=Path(tmp) / "k")
        ctx = ToolContext(registry=registry)
        memory = SqliteCheckpoints(Path(tmp) / "cp.sqlite3")
        await memory.open()  # one connection for every turn, as the server keeps it
        agent = Agent(ctx, ScriptedChatModel(script=load_script(SCRIPT)), checkpointer=memory)
        await agent.ask(question=QUESTION, conversation_id="warm")
        gate = asyncio.Semaphore(concurrency)
        times: list[float] = []

        async def one(i: int) -> None:
            async with gate:
                start = time.perf_counter()
                await agent.ask(question=QUESTION, conversation_id=f"b{i}")
                times.append((time.perf_counter() - start) * 1000)

        await asyncio.gather(*(one(i) for i in range(requests)))
        await memory.close()
    return times


def _scratch_pg() -> tuple[str, str]:
    import psycopg

    name = f"vozbd_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    backend: str,
    requests: int,
    concurrency: int,
    baseline: tuple[float, ...],
    baseline_seq: tuple[float, ...],
    workers: int = 1,
    floor: tuple[float, float, float | None] | None = None,
) -> bool:
    warm = 4 * workers  # the first turn of each process loads dictionaries and caches: not what is measured
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        pg_name, database_url = _scratch_pg() if backend == "postgres" else (None, None)
        port = _free_port()
        process = _server(data_dir, port, database_url, workers)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, process)
            started = time.perf_counter()
            load = _load_in_client(base, requests, concurrency, process.pid, warm)
            wall = time.perf_counter() - started
            latencies, statuses = load["latencies"], load["statuses"]
            one_by_one = _load_in_client(base, SEQUENTIAL, 1, process.pid, 1)
            sequential, seq_statuses = one_by_one["latencies"], one_by_one["statuses"]
        finally:
            process.terminate()
            process.wait(timeout=30)
        # minus the warm-up turns; the sequential phase adds SEQUENTIAL rows of its own
        rows = _count_logs(database_url or f"sqlite:///{data_dir / 'app.sqlite3'}") - warm - 1 - SEQUENTIAL
        if pg_name:
            _drop_pg(pg_name)
    p50, p95 = _percentiles(latencies)
    errors = sum(n for status, n in statuses.items() if status >= 500)
    print(
        f"{backend:8s} {requests} req @ {concurrency} ({workers} worker{'s' if workers > 1 else ''}): "
        f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({requests / wall:5.1f} req/s)  5xx {errors}  "
        f"statuses {dict(sorted(statuses.items()))}  conversation_logs rows {rows}"
    )
    cpu = load.get("server_cpu_ms")
    print(
        f"{'':8s} CPU per request: server {f'{cpu:.1f} ms' if cpu is not None else 'n/a'} "
        f"(one at a time: {one_by_one.get('server_cpu_ms', float('nan')):.1f} ms), "
        f"client {load['client_cpu_ms']:.1f} ms (separate process)"
    )
    extra = f"p50 {p50 - baseline[0]:+.1f} ms  p95 {p95 - baseline[1]:+.1f} ms"
    print(f"{'':8s} API overhead (minus the in-process turn at the same concurrency): {extra}")
    s50, s95 = _percentiles(sequential)
    print(
        f"{'':8s} one at a time ({SEQUENTIAL} req): p50 {s50:.1f} ms  p95 {s95:.1f} ms; overhead over the in-process "
        f"turn: p50 {s50 - baseline_seq[0]:+.1f} ms  p95 {s95 - baseline_seq[1]:+.1f} ms"
    )
    if floor is not None:
        f50, f95, fcpu = floor
        ratios = f"p50 {p50 / f50:.2f}x  p95 {p95 / f95:.2f}x"
        if cpu is not None and fcpu:
            ratios += f"  server CPU {cpu / fcpu:.2f}x"
        print(f"{'':8s} against the stack's floor in this run: {ratios}")
    ok = seq_statuses.get(200) == SEQUENTIAL
    return ok and errors == 0 and rows == requests and statuses.get(200) == requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=1, help="vozbd serve --workers N")
    parser.add_argument(
        "--floor", action="store_true", help="also load bench/stack_floor.py (the stack alone) in the same run"
    )
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)  # internal: the client process
    parser.add_argument("--warm", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        _client_main(args.client, args.requests, args.concurrency, args.warm)
        return
    baseline = _percentiles(asyncio.run(_baseline(args.requests, args.concurrency)))
    print(
        f"baseline: the same {args.requests} turns in-process @ {args.concurrency} (no HTTP, no log row): "
        f"p50 {baseline[0]:.1f} ms  p95 {baseline[1]:.1f} ms"
    )
    cpu = time.process_time()
    baseline_seq = _percentiles(asyncio.run(_baseline(SEQUENTIAL, 1)))
    turn_cpu = (time.process_time() - cpu) * 1000 / (SEQUENTIAL + 1)
    print(
        f"baseline one at a time ({SEQUENTIAL} turns): p50 {baseline_seq[0]:.1f} ms  p95 {baseline_seq[1]:.1f} ms  "
        f"(CPU per in-process turn {turn_cpu:.1f} ms)"
    )
    floor = run_floor(args.requests, args.concurrency) if args.floor else None
    ok = True
    for backend in [args.only] if args.only else ["sqlite", "postgres"]:
        ok = run(backend, args.requests, args.concurrency, baseline, baseline_seq, args.workers, floor) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
