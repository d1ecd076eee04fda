"""``vozbd mcp --http`` as a real uvicorn subprocess, and the mountable app inside a parent ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from mcp_server.http import build_http_app
from tests.mcp_server.conftest import SECRET, McpData, make_config
from tests.mcp_server.helpers import (
    INITIALIZE,
    MCP_HEADERS,
    free_port,
    http_server,
    http_session,
    server_env,
    text_of,
)
from tests.netutil import serve_in_thread
from tools.registry import all_tools

TOKEN = "token-de-teste-123"


def test_token_required(mcp_data: McpData, tmp_path: Path) -> None:
    env = server_env(mcp_data.data_dir, VOZBD_MCP_TOKEN=TOKEN)
    with http_server(env, tmp_path) as url:
        for headers in (
            {},
            {"Authorization": "Bearer errado"},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
        ):
            response = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS | headers)
            assert response.status_code == 401, headers
            assert response.json()["code"] == "unauthorized"
            assert "Bearer" in response.headers["www-authenticate"]
            assert TOKEN not in response.text
        for accepted in (f"Bearer {TOKEN}", f"bearer  {TOKEN}"):
            ok = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS | {"Authorization": accepted})
            assert ok.status_code == 200

        async def session_calls() -> None:
            async with http_session(url, {"Authorization": f"Bearer {TOKEN}"}) as session:
                tools = {t.name for t in (await session.list_tools()).tools}
                assert tools == {spec.name for spec in all_tools()}
                result = await session.call_tool(
                    "run_query", {"connection": "loja_pg", "sql": "SELECT count(*) AS n FROM produtos"}
                )
                assert not result.isError and result.structuredContent is not None
                unsafe = await session.call_tool("run_query", {"connection": "loja_pg", "sql": "DELETE FROM produtos"})
                assert unsafe.isError and text_of(unsafe).startswith("Erro (unsafe_query)")
                pdf = await session.call_tool("read_pdf", {"path": "relatorio.pdf"})
                assert "São Paulo" in text_of(pdf)
                assert SECRET not in (await session.call_tool("list_connections", {})).model_dump_json()

        asyncio.run(session_calls())


async def test_without_token_and_twenty_parallel_calls(mcp_data: McpData, tmp_path: Path) -> None:
    env = server_env(mcp_data.data_dir)
    calls = [
        ("run_query", {"connection": "loja_pg", "sql": f"SELECT id FROM clientes WHERE id = {i + 1}"}) for i in range(8)
    ]
    calls += [
        ("run_query", {"connection": "demo", "sql": f"SELECT id FROM produtos WHERE id = {i + 1}"}) for i in range(6)
    ]
    calls += [("inspect_schema", {"connection": c, "tables": ["pedidos"]}) for c in ("demo", "loja_pg")] * 2
    calls += [("read_pdf", {"path": "relatorio.pdf", "search": "cambio"}), ("list_connections", {})]
    assert len(calls) == 20
    with http_server(env, tmp_path) as url:
        async with http_session(url) as first, http_session(url) as second:
            sessions = (first, second)
            results = await asyncio.gather(
                *(sessions[i % 2].call_tool(name, args) for i, (name, args) in enumerate(calls))
            )
    for (name, args), result in zip(calls, results, strict=True):
        assert not result.isError, (name, text_of(result))
        if name == "run_query":
            expected_id = int(args["sql"].rsplit("= ", 1)[1])
            assert result.structuredContent is not None
            assert str(expected_id) in text_of(result)
            assert result.structuredContent["row_count"] == 1


@pytest.mark.parametrize("token", [None, TOKEN])
def test_mounted_in_parent_app(mcp_data: McpData, token: str | None) -> None:
    config = make_config(mcp_data.data_dir, mcp_token=token)
    mcp_app, mcp_lifespan = build_http_app(config, mcp_data.ctx, mounted=True)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with mcp_lifespan():
            yield

    parent = Starlette(routes=[Mount("/mcp", app=mcp_app)], lifespan=lifespan)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with serve_in_thread(parent, free_port()) as base:
        if token:
            assert httpx.post(f"{base}/mcp/", json=INITIALIZE, headers=MCP_HEADERS).status_code == 401

        async def call() -> None:
            for path in ("/mcp/", "/mcp"):  # "/mcp" reaches the mount through Starlette's 307 redirect
                async with http_session(f"{base}{path}", headers) as session:
                    result = await session.call_tool("run_query", {"sql": "SELECT count(*) AS n FROM categorias"})
                    assert not result.isError, text_of(result)

        asyncio.run(call())
