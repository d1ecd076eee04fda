"""Where the CPU of one ``POST /api/v1/ask`` goes: each stage run on its own, one at a time, in one process.

Scripted model ("Quantos clientes temos?" → one ``run_query`` on the demo database → answer), SQLite app
database in a scratch folder. CPU time (not wall clock), so the figures hold on a loaded machine better than
latencies do; each is the median of 5 rounds. The stages overlap on purpose (a turn contains its schema prompt
and its query): the last column says how each figure is obtained. Companion of ``bench/load.py``, which
measures the same request under load across processes.

    .venv/bin/python bench/ask_cpu.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.app_env import TOKEN, scripted_app_env  # noqa: E402

QUESTION = "Quantos clientes temos?"
SQL = "SELECT COUNT(*) AS total FROM clientes"
ROUNDS = 5


def _median_ms(run: Callable[[], Any], n: int, clock: Callable[[], float]) -> float:
    run()
    rounds = []
    for _ in range(ROUNDS):
        start = clock()
        for _ in range(n):
            run()
        rounds.append((clock() - start) * 1000 / n)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per round (5 rounds per stage)")
    n = parser.parse_args().requests
    with scripted_app_env() as tmp:
        _measure(n, tmp)


def _measure(n: int, tmp: Path) -> None:
    import httpx

    from agent.checkpoint import SqliteCheckpoints, memory_checkpointer
    from agent.tools import run_tool, schema_context
    from tools.registry import all_tools
    from vozbd.appdb.logs import TurnLog
    from vozbd.server import create_app
    from vozbd.wiring import build_app, load_settings

    vozbd_app = build_app(load_settings())
    ctx = vozbd_app.tool_ctx
    loop = asyncio.new_event_loop()
    counter = iter(range(10**9))

    def sync(make: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
        return lambda: loop.run_until_complete(make())

    rows: list[tuple[str, float, str]] = []

    def row(label: str, value: float, how: str) -> None:
        rows.append((label, value, how))
        print(f"{label:44s} {value:6.2f} ms   {how}", flush=True)

    # 1. the whole request, in-process through ASGI (no uvicorn/h11, no socket)
    app = create_app(vozbd_app, mount_ui=False, mount_mcp=False)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )

    async def ask() -> None:
        response = await client.post("/api/v1/ask", json={"question": QUESTION, "conversation_id": f"c{next(counter)}"})
        if response.status_code != 200:
            raise SystemExit(f"/api/v1/ask answered {response.status_code}: {response.text[:300]}")

    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    row("POST /api/v1/ask (ASGI, + httpx client)", _median_ms(sync(ask), n, time.process_time), "process CPU")

    # 2. the turn alone (Agent.ask), memory on one SQLite connection as in the server, then in RAM
    store = SqliteCheckpoints(tmp / "cp.sqlite3")
    loop.run_until_complete(store.open())
    on_sqlite = vozbd_app.agents.build(None, tool_ctx=ctx, speech=False, checkpointer=store)
    in_ram = vozbd_app.agents.build(None, tool_ctx=ctx, speech=False, checkpointer=memory_checkpointer())

    def turn(agent: Any) -> Callable[[], Any]:
        return sync(lambda: agent.ask(question=QUESTION, conversation_id=f"t{next(counter)}"))

    turn_ms = _median_ms(turn(on_sqlite), n, time.process_time)
    row("  Agent.ask, memory in SQLite", turn_ms, "process CPU")
    ram_ms = _median_ms(turn(in_ram), n, time.process_time)
    row("  Agent.ask, memory in RAM", ram_ms, "process CPU")
    loop.run_until_complete(store.close())

    # 3. stages of the turn, called directly (their own thread's CPU)
    memory = on_sqlite.memory
    schema_ms = _median_ms(lambda: schema_context(ctx, None, QUESTION, memory=memory), n, time.thread_time)
    row("    schema prompt + connection memory", schema_ms, "thread CPU, agent.tools.schema_context")
    spec = next(s for s in all_tools() if s.name == "run_query")
    query_ms = _median_ms(lambda: run_tool(spec, {"sql": SQL, "connection": "demo"}, ctx), n, time.thread_time)
    row("    run_query (validate, execute, audit row)", query_ms, "thread CPU, agent.tools.run_tool")
    row("    LangGraph + LangChain + scripted model", ram_ms - schema_ms - query_ms, "RAM turn minus the two above")

    # 4. the conversation_logs row
    database = vozbd_app.open_database()
    done = loop.run_until_complete(in_ram.ask(question=QUESTION, conversation_id="log"))
    log_ms = _median_ms(lambda: database.logs.write_turn(TurnLog.from_turn(done, surface="api")), n, time.thread_time)
    row("  conversation_logs row", log_ms, "thread CPU, ConversationLogStore.write_turn")
    total = rows[0][1]
    row("  HTTP, auth, rate limit, JSON, threads", total - turn_ms - log_ms, "request minus turn and log row")
    loop.run_until_complete(lifespan.__aexit__(None, None, None))
    loop.run_until_complete(client.aclose())
    database.dispose()


if __name__ == "__main__":
    main()
