"""Interleaved A/B of the agent turn alone: process CPU per ``Agent.ask`` in each source tree, same run.

A change to the graph moves a turn by a few tenths of a millisecond, less than this shared machine's swings from one
minute to the next, and two processes of the same tree differ by a few percent (memory layout, the core they land
on). So every tree gets ``--workers`` processes, each loads the app once (scripted model, demo database, memory in
RAM, uvloop and the server's garbage-collector settings) and warms up; then batches of ``--batch`` turns alternate
between the trees (the order flips every round, the worker rotates), and each tree's figure is the median over the
batches, with the median of the paired ratios to the first tree. A second copy of the first tree is a fair control.

    # main against the working tree (git worktree add /tmp/main main), and main again as the control
    .venv/bin/python bench/turn_ab.py --rounds 60 /tmp/main . /tmp/main
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Quantos clientes temos?"
GC_THRESHOLDS = (20000, 50, 100)  # vozbd.gc_tuning's default, as in ``vozbd serve``


def worker(tree: Path) -> None:
    """Load the app of ``tree``, then answer each stdin line ``N`` with the CPU ms per turn of N more turns."""
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    from bench.app_env import scripted_app_env

    with scripted_app_env():
        import uvloop

        import agent.service
        from agent.checkpoint import memory_checkpointer
        from vozbd.wiring import build_app, load_settings

        if not Path(agent.service.__file__).resolve().is_relative_to(tree):
            raise SystemExit(f"{tree}: imported {agent.service.__file__} instead")
        app = build_app(load_settings())
        turn_agent = app.agents.build(None, tool_ctx=app.tool_ctx, speech=False, checkpointer=memory_checkpointer())
        loop = uvloop.new_event_loop()
        ids = itertools.count()

        async def turns(n: int) -> None:
            for _ in range(n):
                turn = await turn_agent.ask(question=QUESTION, conversation_id=f"t{next(ids)}")
                if turn.error_code is not None:
                    raise SystemExit(f"{tree}: the turn failed ({turn.error_code}): {turn.answer}")

        loop.run_until_complete(turns(50))
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        print("ready", flush=True)
        for line in sys.stdin:
            n = int(line)
            start = time.process_time()
            loop.run_until_complete(turns(n))
            print((time.process_time() - start) * 1000 / n, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help="source trees (the first is the reference)")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=20, help="turns per batch")
    parser.add_argument("--workers", type=int, default=3, help="processes per tree")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker.resolve())
        return
    if not args.trees:
        parser.error("name at least one source tree")
    trees = [tree.resolve() for tree in args.trees]
    command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    pools = [
        [
            subprocess.Popen([*command, str(tree)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(args.workers)
        ]
        for tree in trees
    ]
    try:
        for pool in pools:
            for process in pool:
                if process.stdout is None or process.stdout.readline().strip() != "ready":
                    raise SystemExit("a worker did not start (see its error above)")
        results: list[list[float]] = [[] for _ in trees]
        for round_ in range(args.rounds):
            order = list(range(len(trees)))[:: -1 if round_ % 2 else 1]
            for index in order:
                process = pools[index][(round_ // 2) % args.workers]
                assert process.stdin is not None and process.stdout is not None  # opened as pipes above
                process.stdin.write(f"{args.batch}\n")
                process.stdin.flush()
                results[index].append(float(process.stdout.readline()))
    finally:
        for pool in pools:
            for process in pool:
                if process.stdin is not None:
                    process.stdin.close()
                process.wait(timeout=60)
    print(f"process CPU per turn over {args.rounds} batches of {args.batch} ({args.workers} workers per tree):")
    for tree, values in zip(trees, results, strict=True):
        ratio = statistics.median(b / a for a, b in zip(results[0], values, strict=True))
        ordered = sorted(values)
        print(
            f"  {tree}: median {statistics.median(values):.3f} ms, p10 {ordered[len(ordered) // 10]:.3f} ms,"
            f" paired ratio to the first {ratio:.3f}"
        )


if __name__ == "__main__":
    main()
