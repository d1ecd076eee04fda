"""Round trips to the PostgreSQL app database per ``POST /api/v1/ask``, counted on the wire.

Starts a real ``vozbd serve`` (scripted model, a scratch PostgreSQL app database, dropped afterwards) with libpq's
protocol trace on every psycopg connection it opens (SQLAlchemy's and the checkpointer's pool), sends a few
warm-up asks and then N asks one at a time, and prints the protocol messages the server sent per request, by
connection kind and message. A round trip ends with ``Sync`` (extended protocol) or ``Query`` (simple protocol).

    .venv/bin/python bench/pg_round_trips.py [--requests 20]

Measured 2026-12-04 (README "The PostgreSQL app database per turn"): 19.1 round trips per request before the
work described there, 5.2 after.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load  # the scratch database, the server's environment and the question

# Run in the server process: every psycopg connection traces its protocol to a file of its own.
_TRACED_SERVE = """
import itertools, os, sys
import psycopg
folder, counter = os.environ["VOZBD_BENCH_PG_TRACE"], itertools.count()

def trace(conn, kind):
    name = conn.info.parameter_status("application_name") or ""
    name = name.decode() if isinstance(name, bytes) else name
    path = os.path.join(folder, f"{kind}.{name}.{next(counter)}.trace")
    conn._bench_trace = open(path, "w")
    conn.pgconn.trace(conn._bench_trace.fileno())
    conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

sync_connect, async_connect = psycopg.Connection.connect.__func__, psycopg.AsyncConnection.connect.__func__

def connect(cls, *args, **kwargs):
    conn = sync_connect(cls, *args, **kwargs)
    trace(conn, "sync")
    return conn

async def aconnect(cls, *args, **kwargs):
    conn = await async_connect(cls, *args, **kwargs)
    trace(conn, "async")
    return conn

psycopg.Connection.connect = classmethod(connect)
psycopg.AsyncConnection.connect = classmethod(aconnect)
psycopg.connect = psycopg.Connection.connect
from vozbd.cli.app import run
sys.argv[0] = "vozbd"
run()
"""


def _messages(folder: Path) -> collections.Counter[tuple[str, str]]:
    """(connection kind, frontend message) → count, over every trace file so far."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for path in folder.glob("*.trace"):
        kind = path.name.rsplit(".", 2)[0]
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) > 2 and parts[0] == "F":
                counts[(kind, parts[2].split()[0])] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vozbd-pg-trace-"))
    pg_name, database_url = load._scratch_pg()
    data_dir = Path(tempfile.mkdtemp(prefix="vozbd-pg-rt-"))
    port = load._free_port()
    env = os.environ | {
        "VOZBD_DATA_DIR": str(data_dir),
        "VOZBD_MODEL": f"scripted/{load.SCRIPT}",
        "VOZBD_API_KEYS": f"bench:{load.TOKEN}",
        "VOZBD_RATE_LIMIT_PER_KEY": "100000/minute",
        "VOZBD_RATE_LIMIT_PER_IP": "100000/minute",
        "VOZBD_LOG_LEVEL": "WARNING",
        "VOZBD_DATABASE_URL": database_url,
        "VOZBD_BENCH_PG_TRACE": str(folder),
    }
    env.pop("VOZBD_REDIS_URL", None)
    serve = ["serve", "--no-ui", "--no-mcp", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-c", _TRACED_SERVE, *serve], env=env, cwd=data_dir, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        load._wait_ready(base, process)
        headers = {"Authorization": f"Bearer {load.TOKEN}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for i in range(3):  # connections opened, statements prepared
                client.post("/api/v1/ask", json={"question": load.QUESTION, "conversation_id": f"warm{i}"})
            time.sleep(0.5)
            before = _messages(folder)
            for i in range(args.requests):
                response = client.post("/api/v1/ask", json={"question": load.QUESTION, "conversation_id": f"c{i}"})
                response.raise_for_status()
        process.terminate()  # at exit libpq's trace streams are flushed
        process.wait(timeout=30)
        counts = _messages(folder) - before
    finally:
        if process.poll() is None:
            process.kill()
        load._drop_pg(pg_name)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    for (kind, message), n in sorted(counts.items()):
        print(f"{kind:28s} {message:10s} {n / args.requests:6.2f} per request")
    trips = sum(n for (_, message), n in counts.items() if message in ("Sync", "Query"))
    print(f"round trips (Sync + Query) per request: {trips / args.requests:.2f}")


if __name__ == "__main__":
    main()
