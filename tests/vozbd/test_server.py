"""vozbd.server: REST adapters of the tools, error → HTTP status mapping, MCP mounted at /mcp."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.dbutil import table_checksums
from tests.mcp_server.helpers import INITIALIZE
from tools.context import ToolContext
from tools.db.demo import demo_db_path
from tools.registry import all_tools
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings, tool_ctx: ToolContext) -> TestClient:
    app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=True)
    with TestClient(app, base_url="http://localhost") as test_client:
        yield test_client


def test_lists_every_registered_tool_with_schemas(client: TestClient) -> None:
    body = client.get("/api/tools").json()
    assert [tool["name"] for tool in body] == [spec.name for spec in all_tools()]
    run_query = next(tool for tool in body if tool["name"] == "run_query")
    assert "sql" in run_query["input_schema"]["properties"]
    assert run_query["read_only"] is True


def test_openapi_is_typed_per_tool(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for spec in all_tools():
        assert f"/api/tools/{spec.name}" in paths


def test_run_query_on_demo(client: TestClient) -> None:
    response = client.post("/api/tools/run_query", json={"sql": "SELECT uf, COUNT(*) AS n FROM clientes GROUP BY uf"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == ["uf", "n"]
    assert body["row_count"] == len(body["rows"]) > 5
    assert "SP" in {row[0] for row in body["rows"]}


def test_unsafe_query_is_403_and_changes_nothing(client: TestClient) -> None:
    before = table_checksums(demo_db_path())
    response = client.post("/api/tools/run_query", json={"sql": "DELETE FROM clientes"})
    assert response.status_code == 403
    assert response.json()["code"] == "unsafe_query"
    assert "leitura" in response.json()["message"]
    assert table_checksums(demo_db_path()) == before


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"sql": "SELECT * FROM tabela_que_nao_existe"}, 422, "database_error"),
        ({"sql": "SELECT 1", "connection": "nao_salva"}, 404, "unknown_connection"),
    ],
)
def test_errors_map_to_statuses(client: TestClient, payload: dict, status: int, code: str) -> None:
    response = client.post("/api/tools/run_query", json=payload)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_malformed_body_is_422(client: TestClient) -> None:
    assert client.post("/api/tools/run_query", json={"nope": 1}).status_code == 422
    assert client.post("/api/tools/run_query", content=b"{not json").status_code == 422


def test_pdf_outside_allowed_dirs_is_403(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/api/tools/read_pdf", json={"path": "/etc/passwd"})
    assert response.status_code in (403, 404)
    assert response.json()["code"].startswith("pdf_")


@pytest.mark.parametrize("path", ["/mcp", "/mcp/"])
def test_mcp_is_mounted_and_initializes(client: TestClient, path: str) -> None:
    response = client.post(
        path,
        follow_redirects=False,
        json=INITIALIZE,
        headers={"Accept": "application/json, text/event-stream", "Host": "localhost:8000"},
    )
    assert response.status_code == 200, response.text
    assert "vozbd" in response.text


def test_health(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"


def test_api_token_is_required_when_set(settings: Settings, tool_ctx: ToolContext) -> None:
    guarded = settings.model_copy(update={"api_token": SecretStr("s3nha-da-api")})
    app = create_app(build_app(guarded, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False)
    with TestClient(app, base_url="http://localhost") as test_client:
        payload = {"sql": "SELECT COUNT(*) FROM clientes"}
        assert test_client.post("/api/tools/run_query", json=payload).status_code == 401
        wrong = {"Authorization": "Bearer errado"}
        assert test_client.post("/api/tools/run_query", json=payload, headers=wrong).status_code == 401
        assert test_client.get("/api/tools").status_code == 401
        right = {"Authorization": "Bearer s3nha-da-api"}
        assert test_client.post("/api/tools/run_query", json=payload, headers=right).status_code == 200
        assert test_client.get("/api/health").status_code == 200  # liveness stays open


def test_the_dictionary_is_read_before_serving(settings: Settings, tool_ctx: ToolContext, tmp_path: Path) -> None:
    """The first question must not pay the dictionary parse (the GIL held ~1 s while every request waits)."""
    from dataclasses import replace

    from tests.tools.test_schema_inspect_bilingual import write_dictd
    from tools.schema_inspect import bilingual

    folder = tmp_path / "dict"
    folder.mkdir()
    write_dictd(folder, "freedict-por-eng", {"voo": "flight"})
    ctx = replace(tool_ctx, dictionary_dirs=(folder,))
    app = create_app(build_app(settings, tool_ctx=ctx), mount_ui=False, mount_mcp=False)
    assert (folder,) not in bilingual._CACHE
    with TestClient(app, base_url="http://localhost"):
        assert bilingual._CACHE[(folder,)].translate("voo")
