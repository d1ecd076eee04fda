"""The query audit log: statements from every surface land in the app database's query_audit table,
with surface, user, connection, SQL, outcome, rows and ms — never a password; `vozbd audit` reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp.shared.memory import create_connected_server_and_client_session
from typer.testing import CliRunner

from agent.tools import run_tool
from mcp_server.server import build_server
from tools.db.connect import dispose_engines
from tools.registry import get_tool
from vozbd.cli.app import app
from vozbd.metrics import StatementObservers
from vozbd.settings import Settings
from vozbd.wiring import build_tool_context, mcp_config

SECRET = "senha-que-nao-pode-vazar"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VOZBD_DATABASE_URL", raising=False)
    return Settings(_env_file=None, log_level="WARNING")


def audit_json(*args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["audit", "--json", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


async def test_every_surface_is_recorded(settings: Settings, demo_pg_url: str) -> None:
    ctx = build_tool_context(settings)
    ctx.registry.add("loja", demo_pg_url.replace("postgres@", f"postgres:{SECRET}@"))
    try:
        async with create_connected_server_and_client_session(
            build_server(mcp_config(settings), ctx, user="ana")
        ) as session:
            ok = await session.call_tool(
                "run_query", {"sql": "SELECT nome FROM clientes LIMIT 3", "connection": "loja"}
            )
            refused = await session.call_tool("run_query", {"sql": "DELETE FROM clientes", "connection": "loja"})
            await session.call_tool("explain_query", {"sql": "SELECT 1", "connection": "loja"})
        assert not ok.isError and refused.isError
        outcome = run_tool(get_tool("run_query"), {"sql": "SELECT COUNT(*) FROM pedidos"}, ctx)
        assert outcome.error is None
    finally:
        dispose_engines(ctx)
    cli = CliRunner().invoke(app, ["query", "SELECT COUNT(*) FROM produtos"])
    assert cli.exit_code == 0, cli.output

    records = audit_json()
    assert SECRET not in json.dumps(records)
    by_sql = {r["sql"]: r for r in records}
    mcp_ok = by_sql["SELECT nome FROM clientes LIMIT 3"]
    assert (mcp_ok["surface"], mcp_ok["user_id"], mcp_ok["connection"], mcp_ok["outcome"], mcp_ok["row_count"]) == (
        "mcp", "ana", "loja", "ok", 3,
    )  # fmt: skip
    assert mcp_ok["elapsed_ms"] > 0 and mcp_ok["created_at"]
    assert by_sql["DELETE FROM clientes"]["outcome"] == "refused"
    assert by_sql["DELETE FROM clientes"]["error_code"] == "unsafe_query"
    assert by_sql["SELECT 1"]["tool"] == "explain_query"
    assert by_sql["SELECT COUNT(*) FROM pedidos"]["surface"] == "agent"
    assert by_sql["SELECT COUNT(*) FROM produtos"]["surface"] == "cli"
    assert [r["sql"] for r in audit_json("--surface", "mcp", "--outcome", "refused")] == ["DELETE FROM clientes"]
    assert len(audit_json("--limit", "2")) == 2
    table = CliRunner().invoke(app, ["audit", "--since", "1h", "--connection", "loja"])
    assert table.exit_code == 0 and "loja" in table.stdout and SECRET not in table.stdout
    assert CliRunner().invoke(app, ["audit", "--since", "ontem"]).exit_code == 2


def test_audit_can_be_turned_off(settings: Settings, tmp_path: Path) -> None:
    ctx = build_tool_context(Settings(_env_file=None, query_audit=False))
    assert isinstance(ctx.audit, StatementObservers) and ctx.audit.inner is None  # /metrics still hears statements
    audited = build_tool_context(settings).audit
    assert isinstance(audited, StatementObservers) and audited.inner is not None
