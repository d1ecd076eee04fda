# ruff: noqa: E402  (sys.path must be fixed before importing the mcp SDK, see below)
"""Benchmark the MCP server: answer sizes on a generated 200-table PostgreSQL schema, and round trips of
``inspect_schema`` (cached) and a small ``run_query`` over stdio and streamable HTTP against calling the same
tool function in process.

Run: ``.venv/bin/python bench/mcp.py [--calls 200] [--tables 200]``. Part 1 needs PostgreSQL on 127.0.0.1:5432
(user postgres, trust; a temporary database is created and dropped) and prints the total size (text +
structuredContent) of the default ``inspect_schema`` call and of a one-table lookup, and the p50 of cached
calls over stdio. Goals: default call <= 32 KB, lookup <= 2 KB, cached p50 <= 50 ms. Part 2 uses the bundled
demo database and prints p50/p95 (ms) and each transport's p50 over the in-process p50 (protocol overhead).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and "mcp" would import this file, not the SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for bench.wide_schema

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable

import httpx
import psycopg
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import create_engine

from bench.wide_schema import NEEDLE, create_wide_schema
from tools.registry import get_tool
from vozbd.settings import Settings
from vozbd.wiring import build_tool_context
from vozbd_core.stats import percentiles

VOZBD = str(Path(sys.executable).parent / "vozbd")
CALLS = {
    "inspect_schema (cached)": ("inspect_schema", {"connection": "demo"}),
    "run_query (small)": ("run_query", {"connection": "demo", "sql": "SELECT nome, uf FROM clientes WHERE id <= 5"}),
}


def p50_p95(samples: list[float]) -> tuple[float, ...]:
    return percentiles(samples, 50, 95)


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


SIZE_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "inspect_schema (default)": ("inspect_schema", {"connection": "erp"}),
    "inspect_schema (question)": ("inspect_schema", {"connection": "erp", "question": "notas fiscais de devolução"}),
    "search_schema (one-table lookup)": (
        "search_schema",
        {"connection": "erp", "question": "notas fiscais de devolução", "limit": 5, "detail": "summary"},
    ),
    "inspect_schema (the found table)": ("inspect_schema", {"connection": "erp", "tables": [NEEDLE]}),
    "search_schema (first page of names)": ("search_schema", {"connection": "erp"}),
}


def answer_size(result: types.CallToolResult) -> tuple[int, int]:
    if result.isError:
        raise RuntimeError(result.content)
    text = sum(len(block.text.encode()) for block in result.content if isinstance(block, types.TextContent))
    structured = len(json.dumps(result.structuredContent, ensure_ascii=False, separators=(",", ":")).encode())
    return text, structured


async def bench_wide(env: dict[str, str], tables: int, n: int) -> None:
    admin = psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True)
    name = f"vozbd_bench_mcp_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        engine = create_engine(url)
        create_wide_schema(engine, tables)
        engine.dispose()
        add = [VOZBD, "db", "add", "erp", url, "--allow-privileged"]  # the bench connects as postgres
        subprocess.run(add, env=env, check=True, capture_output=True)
        params = StdioServerParameters(command=VOZBD, args=["mcp"], env=env)
        with open(os.devnull, "w") as devnull:
            async with stdio_client(params, errlog=devnull) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                print(f"MCP answer sizes on a generated {tables}-table PostgreSQL schema (bytes, UTF-8)")
                print(f"{'call':<38} {'text':>7} {'structured':>11} {'total':>7}")
                for label, (tool, args) in SIZE_CALLS.items():
                    text, structured = answer_size(await session.call_tool(tool, args))
                    print(f"{label:<38} {text:>7} {structured:>11} {text + structured:>7}")
                print("goals: default call <= 32768, one-table lookup <= 2048")
                print(f"\ncached calls over stdio, {n} each (ms); raw = bare JSON-RPC request (protocol + server),")
                print(
                    "call_tool = the Python SDK client, which also re-checks the outputSchema with jsonschema per call"
                )
                for label, (tool, args) in SIZE_CALLS.items():
                    if "names" in label:
                        continue

                    async def sdk_call(tool=tool, args=args) -> object:
                        return await session.call_tool(tool, args)

                    async def raw_call(tool=tool, args=args) -> object:
                        params = types.CallToolRequestParams(name=tool, arguments=args)
                        request = types.ClientRequest(types.CallToolRequest(params=params))
                        return await session.send_request(request, types.CallToolResult)

                    raw50, raw95 = p50_p95(await timed(raw_call, n))
                    sdk50, _ = p50_p95(await timed(sdk_call, n))
                    print(f"{label:<38} raw p50 {raw50:7.2f}  p95 {raw95:7.2f}   call_tool p50 {sdk50:7.2f}")
                print("goal: cached p50 <= 50 ms\n")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per tool and transport")
    parser.add_argument("--tables", type=int, default=200, help="tables of the generated PostgreSQL schema")
    options = parser.parse_args()
    n = options.calls
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
        env |= {"VOZBD_DATA_DIR": tmp, "VOZBD_LOG_LEVEL": "WARNING"}
        await bench_wide(env, options.tables, min(n, 50))
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
            p50, p95 = p50_p95(samples)
            base, _ = p50_p95(runs["in-process"][label.split(",")[0]])
            print(f"{transport:<12} {label:<37} {p50:>8.2f} {p95:>8.2f} {p50 / base:>16.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
