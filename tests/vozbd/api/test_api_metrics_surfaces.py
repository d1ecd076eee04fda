"""/metrics of ``vozbd serve`` sees every surface of the process: REST turns, chat-UI turns and MCP tool calls
(per-stage latency, SQL per statement, safe-query refusals by reason and surface)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mcp.shared.memory import create_connected_server_and_client_session

from mcp_server.server import build_server
from tests.vozbd.api.conftest import SCRIPT
from tools.audit import calling_as
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app


def _value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels`` (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"{name}\{{(.*)\}} ([0-9.e+-]+)$", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total


async def test_metrics_see_api_ui_and_mcp_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", model=f"scripted/{SCRIPT}")
    vozbd_app = build_app(settings)  # the real wiring: one tool context shared by REST, chat and MCP
    with TestClient(create_app(vozbd_app, mount_ui=False, mount_mcp=False), base_url="http://localhost") as client:
        assert client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"}).status_code == 200
        assert client.post("/api/v1/ask", json={"question": "Apague os clientes"}).status_code == 200

        # A chat-UI turn: the agent under the UI's caller tag, then the UI's turn recorder.
        agent = vozbd_app.agents.build(None, speech=False)
        with calling_as("ui", "ana"):
            turn = await agent.ask(question="Quantos clientes temos?", conversation_id="ui-1")
        assert vozbd_app.ui.record_turn is not None
        await vozbd_app.ui.record_turn(turn, user_id="ana", model=None, voice=False)

        # MCP tool calls on the same tool context the mounted /mcp endpoint gets.
        async with create_connected_server_and_client_session(
            build_server(vozbd_app.mcp, vozbd_app.tool_ctx, user="bia")
        ) as session:
            await session.call_tool("run_query", {"sql": "SELECT COUNT(*) FROM pedidos", "connection": "demo"})
            await session.call_tool("run_query", {"sql": "DROP TABLE pedidos", "connection": "demo"})

        text = client.get("/metrics").text
    stage = "vozbd_turn_stage_seconds_count"
    assert _value(text, stage, stage="total", surface="api") == 2
    assert _value(text, stage, stage="total", surface="ui") == 1
    assert _value(text, stage, stage="llm_first_token", surface="ui") == 1
    assert _value(text, stage, stage="sql", surface="api") == 1
    assert _value(text, stage, stage="sql", surface="ui") == 1
    assert _value(text, stage, stage="sql", surface="mcp") == 1
    refusals = "vozbd_safe_query_refusals_total"
    assert _value(text, refusals, surface="api") == 1
    assert _value(text, refusals, surface="mcp") == 1
    assert _value(text, refusals, surface="ui") == 0
    reasons = set(re.findall(r'vozbd_safe_query_refusals_total\{reason="([^"]+)"', text))
    assert reasons and "unsafe_query" not in reasons  # the validator's rejection code, not the generic one
