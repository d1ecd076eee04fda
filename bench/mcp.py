# ruff: noqa: E402  (sys.path must be fixed before importing the mcp SDK, see below)
"""Benchmark MCP protocol overhead: round trips of ``inspect_schema`` (cached) and a small ``run_query``
over stdio and streamable HTTP, against calling the same tool function in process.

Run: ``.venv/bin/python bench/mcp.py [--calls 200]``. Uses the bundled demo database; prints p50/p95 (ms)
and the ratio of each transport's p50 to the in-process p50 (the protocol overhead).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and "mcp" would import this file, not the SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable

import httpx
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from tools.registry import get_tool
from vozbd.settings import Settings
from vozbd.wiring import build_tool_context

VOZBD = str(Path(sys.executable).parent / "vozbd")
CALLS = {
    "inspect_schema (cached)": ("inspect_schema", {"connection": "demo"}),
    "run_query (small)": ("run_query", {"connection": "demo", "sql": "SELECT nome, uf FROM clientes WHERE id <= 5"}),
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def timed(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    await call()  # warm up (fills the schema cache, opens engines)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def bench_direct(data_dir: Path, n: int) -> dict[str, list[float]]:
    ctx = build_tool_context(Settings(data_dir=data_dir, _env_file=None))
    results = {}
    for label, (tool, args) in CALLS.items():
        spec = get_tool(tool)

        async def call(spec=spec, args=args) -> object:
            return spec.run(ctx, **args)

        results[label] = await timed(call, n)
    return results


async def bench_session(session: ClientSession, n: int) -> dict[str, list[float]]:
    """Each call twice: the SDK's ``call_tool`` (which also validates structuredContent against the
    outputSchema with jsonschema, client side) and the bare JSON-RPC request (protocol + server only)."""
    results = {}
    for label, (tool, args) in CALLS.items():

        async def sdk_call(tool=tool, args=args) -> object:
            result = await session.call_tool(tool, args)
            if result.isError:
                raise RuntimeError(result.content)
            return result

        async def raw_call(tool=tool, args=args) -> object:
            params = types.CallToolRequestParams(name=tool, arguments=args)
            request = types.ClientRequest(types.CallToolRequest(params=params))
            result = await session.send_request(request, types.CallToolResult)
            if result.isError:
                raise RuntimeError(result.content)
            return result

        results[f"{label}, call_tool"] = await timed(sdk_call, n)
        results[f"{label}, raw"] = await timed(raw_call, n)
    return results


async def bench_stdio(env: dict[str, str], n: int) -> dict[str, list[float]]:
    params = StdioServerParameters(command=VOZBD, args=["mcp"], env=env)
    with open(os.devnull, "w") as devnull:
        async with stdio_client(params, errlog=devnull) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await bench_session(session, n)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def bench_http(env: dict[str, str], n: int) -> dict[str, list[float]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [VOZBD, "mcp", "--http", "--port", str(port)]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("MCP HTTP server did not start")
            await asyncio.sleep(0.1)
        client = httpx.AsyncClient(timeout=httpx.Timeout(60, read=300))
        async with (
            client,
            streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await bench_session(session, n)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per tool and transport")
    n = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
        env |= {"VOZBD_DATA_DIR": tmp, "VOZBD_LOG_LEVEL": "WARNING"}
        runs = {
            "in-process": await bench_direct(data_dir, n),
            "stdio": await bench_stdio(env, n),
            "http": await bench_http(env, n),
        }
    print(f"MCP round trips, demo database, {n} calls each (ms)")
    print("call_tool = SDK client incl. its jsonschema check of structuredContent; raw = bare JSON-RPC request")
    print(f"{'transport':<12} {'call':<37} {'p50':>8} {'p95':>8} {'p50 / in-process':>17}")
    for transport, results in runs.items():
        for label, samples in results.items():
            p50, p95 = percentiles(samples)
            base, _ = percentiles(runs["in-process"][label.split(",")[0]])
            print(f"{transport:<12} {label:<37} {p50:>8.2f} {p95:>8.2f} {p50 / base:>16.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
