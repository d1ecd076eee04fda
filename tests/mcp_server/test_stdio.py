"""``vozbd mcp`` as a real subprocess over stdio, driven by the MCP SDK's stdio client."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.dbutil import table_checksums
from tests.mcp_server.conftest import SECRET, McpData
from tests.mcp_server.helpers import INITIALIZE, assert_structured_ok, server_env, stdio_session, text_of
from tools.db.demo import demo_db_path
from tools.registry import all_tools
from vozbd import __version__

UNSAFE = (
    "DELETE FROM clientes",
    "UPDATE produtos SET preco = 0",
    "DROP TABLE pedidos",
    "INSERT INTO categorias (id, nome) VALUES (999, 'x')",
    "SELECT 1; DELETE FROM clientes",
    "TRUNCATE TABLE itens_pedido",
)


def distinct_statuses(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(DISTINCT status) FROM pedidos")).scalar_one()
    finally:
        engine.dispose()


async def test_stdio_end_to_end(mcp_data: McpData, tmp_path: Path) -> None:
    env = server_env(mcp_data.data_dir)
    pg_before, demo_before = table_checksums(mcp_data.pg_url), table_checksums(demo_db_path())
    statuses = distinct_statuses(mcp_data.pg_url)
    async with stdio_session(env, tmp_path / "stderr.log") as session:
        assert session.get_server_capabilities() is not None
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(tools) == {spec.name for spec in all_tools()}
        resources = {str(r.uri) for r in (await session.list_resources()).resources}
        assert {"schema://demo", "schema://loja_pg"} <= resources
        prompts = {p.name for p in (await session.list_prompts()).prompts}
        assert "perguntar_ao_banco" in prompts

        listing = assert_structured_ok(tools["list_connections"], await session.call_tool("list_connections", {}))
        assert {"demo", "loja_pg"} <= {c["name"] for c in listing["connections"]}

        for connection in ("demo", "loja_pg"):
            schema = await session.call_tool("inspect_schema", {"connection": connection})
            assert "pedidos" in assert_structured_ok(tools["inspect_schema"], schema)["compact"]
            query = await session.call_tool(
                "run_query",
                {"connection": connection, "sql": "SELECT status, count(*) AS n FROM pedidos GROUP BY status"},
            )
            data = assert_structured_ok(tools["run_query"], query)
            assert data["row_count"] == statuses and "entregue" in text_of(query)
            for sql in UNSAFE:
                refused = await session.call_tool("run_query", {"connection": connection, "sql": sql})
                assert refused.isError, sql
                assert text_of(refused).startswith("Erro ("), text_of(refused)

        pdf = await session.call_tool("read_pdf", {"path": "relatorio.pdf"})
        assert assert_structured_ok(tools["read_pdf"], pdf)["metadata"]["title"] == "Relatório de operações"

        resource = await session.read_resource("schema://loja_pg")
        assert "clientes" in resource.contents[0].text  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
        assert SECRET not in resource.model_dump_json()

    assert table_checksums(mcp_data.pg_url) == pg_before
    assert table_checksums(demo_db_path()) == demo_before
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()


async def test_python_dash_m_mcp_server(mcp_data: McpData, tmp_path: Path) -> None:
    env = server_env(mcp_data.data_dir)
    async with stdio_session(env, tmp_path / "stderr.log", command=sys.executable, args=("-m", "mcp_server")) as s:
        result = await s.call_tool("run_query", {"sql": "SELECT count(*) AS n FROM categorias"})
    assert not result.isError


def test_stdout_carries_only_protocol(mcp_data: McpData, tmp_path: Path) -> None:
    """Raw JSON-RPC over the pipe: every stdout line is a JSON-RPC message, even when tools fail and log."""
    (mcp_data.settings.uploads_dir / "quebrado.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<<")
    messages = [
        INITIALIZE,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "read_pdf", "arguments": {"path": "quebrado.pdf"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "run_query", "arguments": {"sql": "SELECT 1", "connection": "fora_do_ar"}},
        },
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "nao_existe", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 5, "method": "tools/list"},
    ]
    env = server_env(mcp_data.data_dir, VOZBD_LOG_LEVEL="DEBUG")
    replies = exchange(messages, env, tmp_path, expected_ids={1, 2, 3, 4, 5})
    assert all(reply.get("jsonrpc") == "2.0" for reply in replies)
    by_id = {reply["id"]: reply for reply in replies if "id" in reply}
    assert set(by_id) == {1, 2, 3, 4, 5}
    assert by_id[1]["result"]["serverInfo"] == {"name": "vozbd", "version": __version__}
    assert by_id[2]["result"]["isError"] and "pdf_corrupt" in by_id[2]["result"]["content"][0]["text"]
    assert by_id[3]["result"]["isError"] and SECRET not in json.dumps(by_id[3])
    assert len(by_id[5]["result"]["tools"]) == len(all_tools())
    assert (tmp_path / "stderr.log").read_text().strip()  # logs went to stderr


def exchange(messages: list[dict], env: dict[str, str], workdir: Path, expected_ids: set[int]) -> list[dict]:
    """Send raw JSON-RPC lines; read stdout until every expected id was answered (each line must be JSON)."""
    with (workdir / "stderr.log").open("w") as errlog:
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errlog,
            env=env,
            cwd=workdir,
            text=True,
        )
        watchdog = threading.Timer(120, process.kill)
        watchdog.start()
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
            process.stdin.flush()
            replies: list[dict] = []
            while expected_ids - {r.get("id") for r in replies}:
                line = process.stdout.readline()
                assert line, f"server closed stdout early; got {replies}"
                replies.append(json.loads(line))  # anything but JSON-RPC on stdout fails here
            process.stdin.close()
            assert process.wait(timeout=30) == 0
            trailing = process.stdout.read()
            assert not trailing.strip(), trailing
            return replies
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
