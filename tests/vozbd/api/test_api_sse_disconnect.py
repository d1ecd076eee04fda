"""A client that drops an SSE ``/api/v1/ask`` mid-turn does not lose the turn: it finishes and is logged."""

from __future__ import annotations

import time

import httpx
import psycopg

from tests.netutil import serve_in_thread
from tools.context import ToolContext
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app


def _slow_database(url: str) -> None:
    """``clientes``: a view whose one row takes about a second to count (a 3000 x 3000 x 3 join)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("CREATE TABLE big AS SELECT g FROM generate_series(1, 3000) g")
        conn.execute(
            "CREATE VIEW clientes AS SELECT count(*) AS total FROM big a, big b, (SELECT g FROM big LIMIT 3) c "
            "WHERE a.g + b.g + c.g > 0"
        )


def test_a_turn_whose_sse_client_left_is_still_logged(
    api_settings: Settings, tool_ctx: ToolContext, fresh_pg_url: str
) -> None:
    _slow_database(fresh_pg_url)
    tool_ctx.registry.add("lenta", fresh_pg_url)
    app = create_app(build_app(api_settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False)
    body = {"question": "todos os clientes", "connection": "lenta", "conversation_id": "corte"}
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        with client.stream("POST", "/api/v1/ask", json=body, headers={"Accept": "text/event-stream"}) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line == "event: sql":  # the slow query has started: leave now
                    break
        deadline = time.monotonic() + 30
        while (found := client.get("/api/v1/conversations/corte")).status_code == 404:
            assert time.monotonic() < deadline, "the turn of a client that left was never logged"
            time.sleep(0.2)
    (turn,) = found.json()["turns"]
    assert turn["question"] == "todos os clientes" and turn["answer"] == "Listei 1 clientes."
    assert turn["row_count"] == 1 and turn["error"] is None


def test_a_server_shutting_down_lets_such_a_turn_finish_and_be_logged(
    api_settings: Settings, tool_ctx: ToolContext, fresh_pg_url: str
) -> None:
    _slow_database(fresh_pg_url)
    tool_ctx.registry.add("lenta", fresh_pg_url)
    vozbd_app = build_app(api_settings, tool_ctx=tool_ctx)
    app = create_app(vozbd_app, mount_ui=False, mount_mcp=False)
    body = {"question": "todos os clientes", "connection": "lenta", "conversation_id": "fim"}
    sse = {"Accept": "text/event-stream"}
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, timeout=30) as client,
        client.stream("POST", "/api/v1/ask", json=body, headers=sse) as response,
    ):
        for line in response.iter_lines():
            if line == "event: sql":  # the slow query has started: leave, and stop the server at once
                break
    database = vozbd_app.open_database()  # the server has stopped: its own handle on the app database is closed
    try:
        turns = [t for t in database.logs.list_turns() if t.conversation_id.endswith("fim")]
    finally:
        database.dispose()
    assert [(t.question, t.row_count, t.error) for t in turns] == [("todos os clientes", 1, None)]
