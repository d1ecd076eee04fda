"""Agent framework overhead per turn: graph + tools + checkpointer, excluding model time and SQL time.

A scripted model (no network) answers every question with one ``run_query`` and a templated answer, on the
bundled demo database. Prints p50/p95 over N turns for the SQLite checkpointer (the default) and in-memory.
Goal: overhead < 50 ms per turn (excluding SQL time, which is reported separately).

    .venv/bin/python bench/agent.py [--turns 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.checkpoint import memory_checkpointer
from agent.llm.scripted import Script, ScriptedChatModel, ScriptRule
from agent.service import Agent
from tools.context import ToolContext
from tools.db.registry import ConnectionRegistry
from vozbd_core.stats import percentile

SQL = "SELECT uf, COUNT(*) AS total FROM clientes GROUP BY uf ORDER BY total DESC"
SCRIPT = Script(
    rules=[
        ScriptRule(
            match=".",
            responses=[
                {"tool_calls": [{"name": "run_query", "args": {"sql": SQL}}]},
                {"content": "O estado com mais clientes tem {last_result_first_value}. Consulta: {last_sql}"},
            ],
        )
    ]
)


async def run(agent: Agent, turns: int, same_conversation: bool) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {"overhead": [], "sql": [], "model": [], "total": []}
    for i in range(turns + 5):
        conversation = "bench" if same_conversation else f"bench-{i}"
        turn = await agent.ask(question=f"Quantos clientes por estado? ({i})", conversation_id=conversation)
        if i < 5:  # warm-up: engine, schema cache, imports
            continue
        t = turn.timings
        model, sql = t.get("llm_total_ms", 0.0), t.get("sql_ms", 0.0)
        series["total"].append(t["total_ms"])
        series["model"].append(model)
        series["sql"].append(sql)
        series["overhead"].append(t["total_ms"] - model - sql)
    return series


def report(label: str, series: dict[str, list[float]]) -> None:
    print(f"{label}")
    for key in ("overhead", "sql", "model", "total"):
        values = series[key]
        print(
            f"  {key:<9} p50 {statistics.median(values):7.2f} ms   p95 {percentile(values, 95) or 0:7.2f} ms"
            f"   max {max(values):7.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = ToolContext(registry=ConnectionRegistry(Path(tmp) / "registry.sqlite3", key_file=Path(tmp) / "key"))
        for label, checkpointer, same in (
            ("SQLite checkpointer, new conversation per turn", Path(tmp) / "checkpoints.sqlite3", False),
            ("SQLite checkpointer, one growing conversation", Path(tmp) / "checkpoints2.sqlite3", True),
            ("in-memory checkpointer, new conversation per turn", memory_checkpointer(), False),
        ):
            agent = Agent(ctx, ScriptedChatModel(script=SCRIPT), checkpointer=checkpointer)
            series = asyncio.run(run(agent, args.turns, same))
            report(f"{label} ({args.turns} turns, scripted model, demo SQLite):", series)
    print("goal: overhead p50 < 50 ms (overhead = total - model - SQL; includes graph, tools adapter, checkpoints)")


if __name__ == "__main__":
    main()
