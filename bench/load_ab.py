"""Interleaved A/B of ``vozbd serve`` under load: one server per variant, rounds alternate between them.

On a shared machine the load changes from one minute to the next, so two ``bench/load.py`` runs taken minutes
apart compare the machine as much as the code. Here every variant (a source tree, plus optional environment)
runs its own ``vozbd serve`` (SQLite app database, or a scratch PostgreSQL one each with ``--postgres``; scripted
model) started at once; each round sends N ``POST /api/v1/ask`` at concurrency C to each server in turn, and
prints the server's CPU per request (read from /proc, as ``bench/load.py``), p50 and p95; then the medians over
the rounds.

    # the working tree against a checkout of main (git worktree add /tmp/main main), and uvloop off
    .venv/bin/python bench/load_ab.py --rounds 8 main=/tmp/main new=. new-asyncio=.:VOZBD_SERVER_LOOP=asyncio

Measured 2026-12-04 (README "Load"), main d78b146 → db14d35, server CPU per request, medians of 6 rounds of 300
requests at concurrency 25 (load average 5.9–9.0): SQLite 10.7 → 8.9 ms, PostgreSQL 14.1 → 12.2 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load  # the server, the client process and the /proc CPU reading

ROOT = Path(__file__).resolve().parents[1]


def _variant(text: str) -> tuple[str, Path, dict[str, str]]:
    """``name=PATH[:VAR=value...]``"""
    name, _, rest = text.partition("=")
    path, *assignments = rest.split(":")
    env = dict(a.split("=", 1) for a in assignments)
    return name, Path(path).resolve(), env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [f"auto={ROOT}", f"asyncio={ROOT}:VOZBD_SERVER_LOOP=asyncio:VOZBD_SERVER_HTTP=h11"]
    parser.add_argument(
        "variants", nargs="*", default=default, metavar="NAME=PATH[:VAR=value...]", help="default: uvloop on/off here"
    )
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300, help="per round and variant")
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--postgres", action="store_true", help="app database on PostgreSQL (a scratch one each)")
    args = parser.parse_args()
    servers: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    results: dict[str, list[tuple[float, float, float]]] = {}
    folders = []
    scratch: list[str] = []
    try:
        for name, path, env in map(_variant, args.variants):
            folder = tempfile.TemporaryDirectory()
            folders.append(folder)
            saved = dict(os.environ)
            os.environ.update({**env, "PYTHONPATH": str(path)})  # the server imports this tree's packages
            port = load._free_port()
            database_url = None
            if args.postgres:
                pg_name, database_url = load._scratch_pg()
                scratch.append(pg_name)
            servers[name] = (f"http://127.0.0.1:{port}", load._server(Path(folder.name), port, database_url, 1))
            os.environ.clear()
            os.environ.update(saved)
        for base, process in servers.values():
            load._wait_ready(base, process)
            load._load_in_client(base, 50, args.concurrency, process.pid, 4)  # warm-up: dictionaries, caches
        results.update({name: [] for name in servers})
        for round_ in range(args.rounds):
            for name, (base, process) in servers.items():
                out = load._load_in_client(base, args.requests, args.concurrency, process.pid, 1)
                p50, p95 = load._percentiles(out["latencies"])
                cpu = out.get("server_cpu_ms", float("nan"))
                results[name].append((cpu, p50, p95))
                loadavg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                print(f"round {round_} {name:12s} server CPU {cpu:5.1f} ms  p50 {p50:6.1f}  p95 {p95:6.1f}", end="")
                print(f"  load {loadavg:.2f}", flush=True)
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(timeout=30)
        for folder in folders:
            folder.cleanup()
        for pg_name in scratch:
            load._drop_pg(pg_name)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"medians over {args.rounds} rounds of {args.requests} requests at {args.concurrency} at once ({backend}):")
    for name, rows in results.items():
        cpu, p50, p95 = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"  {name:12s} server CPU {cpu:5.1f} ms  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
