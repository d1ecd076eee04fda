"""Garbage-collector time per ``POST /api/v1/ask``: CPython's defaults vs ``VOZBD_GC_THRESHOLDS``, same run.

Each round starts the real app in-process (ASGI, scripted model, demo database, SQLite app database in a scratch
folder), warms it up, then sends N requests at concurrency C and sums the time spent inside collections
(``gc.callbacks``) and the process CPU per request. Rounds alternate the two settings, so load changes hit both
alike; each line is one round, the summary the medians. Collector time is counted directly, so it holds on a
busy machine better than the CPU figure does.

    .venv/bin/python bench/gc_tuning.py [--requests 600] [--concurrency 25] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.app_env import TOKEN, scripted_app_env  # noqa: E402

QUESTION = "Quantos clientes temos?"
WARM_UP = 30


class CollectorClock:
    """Time spent in garbage collections and how many ran per generation, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = [0, 0, 0]
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def reset(self) -> None:
        self.seconds, self.runs = 0.0, [0, 0, 0]

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.thread_time()
        else:
            self.seconds += time.thread_time() - self._start
            self.runs[info["generation"]] += 1


async def _round(thresholds: str, n: int, concurrency: int, clock: CollectorClock) -> tuple[float, float, list[int]]:
    import httpx

    from vozbd.server import create_app
    from vozbd.wiring import build_app, load_settings

    os.environ["VOZBD_GC_THRESHOLDS"] = thresholds
    app = create_app(build_app(load_settings()), mount_ui=False, mount_mcp=False)
    counter = iter(range(10**9))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://127.0.0.1",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client,
    ):

        async def ask() -> None:
            body = {"question": QUESTION, "conversation_id": f"c{next(counter)}"}
            response = await client.post("/api/v1/ask", json=body)
            if response.status_code != 200:
                raise SystemExit(f"/api/v1/ask answered {response.status_code}: {response.text[:300]}")

        async def worker(count: int) -> None:
            for _ in range(count):
                await ask()

        for _ in range(WARM_UP):
            await ask()
        clock.reset()
        cpu = time.process_time()
        await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
        done = (n // concurrency) * concurrency
        return clock.seconds * 1000 / done, (time.process_time() - cpu) * 1000 / done, list(clock.runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tuned", default="20000,50,100", help="VOZBD_GC_THRESHOLDS for the tuned side")
    args = parser.parse_args()
    with scripted_app_env():
        clock = CollectorClock()
        results: dict[str, list[tuple[float, float]]] = {"python": [], args.tuned: []}
        print(f"{args.requests} requests at concurrency {args.concurrency}, load average {os.getloadavg()[0]:.1f}")
        for i in range(args.rounds):
            for side in results:
                gc_ms, cpu_ms, runs = asyncio.run(_round(side, args.requests, args.concurrency, clock))
                results[side].append((gc_ms, cpu_ms))
                print(
                    f"round {i + 1} {side:>14}: collector {gc_ms:5.2f} ms/request  CPU {cpu_ms:5.1f} ms/request  "
                    f"collections per generation {runs}",
                    flush=True,
                )
        base_gc, base_cpu = (statistics.median(v) for v in zip(*results["python"], strict=True))
        new_gc, new_cpu = (statistics.median(v) for v in zip(*results[args.tuned], strict=True))
        print(
            f"median: collector {base_gc:.2f} -> {new_gc:.2f} ms/request ({new_gc / base_gc:.2f}x), "
            f"CPU {base_cpu:.1f} -> {new_cpu:.1f} ms/request ({new_cpu / base_cpu:.2f}x)"
        )


if __name__ == "__main__":
    main()
