"""Surface attacks on ``vozbd serve`` (issue #11 item 5): one auth model across REST, MCP and the UI.

Each case states the attack and the expected refusal. Real app, real tools, the demo database; the only thing
not exercised here is a real network socket (``TestClient`` speaks ASGI directly).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.websockets import WebSocketDisconnect

from tests.dbutil import table_checksums
from tests.mcp_server.helpers import INITIALIZE, MCP_HEADERS
from tests.vozbd.security.conftest import AUTH, MCP_TOKEN, TOKEN
from tools.context import ToolContext
from tools.db.demo import demo_db_path
from vozbd.auth import AuthPolicy, InsecureExposureError, check_exposure
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def keyed(serve: Callable[..., TestClient]) -> TestClient:
    return serve(api_keys=[f"ana:{TOKEN}"], mount_mcp=True)


# --- credentials on REST ------------------------------------------------------------------------------------------
PROTECTED = [
    ("POST", "/api/v1/ask", {"question": "quantos clientes?"}),
    ("POST", "/api/tools/run_query", {"sql": "SELECT 1"}),
    ("GET", "/api/tools", None),
    ("GET", "/api/v1/connections", None),
    ("POST", "/api/v1/connections", {"name": "x", "url": "sqlite:////etc/passwd"}),
    ("GET", "/api/v1/connections/demo/schema", None),
    ("POST", "/api/v1/connections/demo/query", {"sql": "SELECT 1"}),
    ("POST", "/api/v1/connections/demo/test", None),
    ("DELETE", "/api/v1/connections/demo", None),
    ("GET", "/api/v1/conversations", None),
    ("POST", "/api/v1/speak", {"text": "oi"}),
    ("GET", "/metrics", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_every_rest_endpoint_needs_the_key(keyed: TestClient, method: str, path: str, body: Any) -> None:
    response = keyed.request(method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer errado",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        TOKEN,
        f"Bearer {MCP_TOKEN}",
        "Bearer ",
        f"Bearer  {TOKEN} extra",
    ],
)
def test_wrong_or_malformed_tokens_are_refused(keyed: TestClient, authorization: str) -> None:
    response = keyed.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers={"Authorization": authorization})
    assert response.status_code == 401


def test_token_in_query_string_is_not_accepted(keyed: TestClient) -> None:
    response = keyed.post(f"/api/tools/run_query?access_token={TOKEN}", json={"sql": "SELECT 1"})
    assert response.status_code == 401


def test_proxy_user_header_does_not_authenticate_rest(keyed: TestClient) -> None:
    response = keyed.get("/api/v1/connections", headers={"X-Forwarded-User": "admin"})
    assert response.status_code == 401


def test_the_right_key_works_and_liveness_stays_open(keyed: TestClient) -> None:
    assert keyed.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=AUTH).status_code == 200
    assert keyed.get("/health").status_code == 200
    assert keyed.get("/api/health").status_code == 200
    assert keyed.get("/openapi.json").status_code == 200 and keyed.get("/docs").status_code == 200


def test_only_mcp_token_no_longer_leaves_rest_open(serve: Callable[..., TestClient]) -> None:
    """The red-team case: with only VOZBD_MCP_TOKEN set, /api/tools/run_query answered 200 without a token."""
    client = serve(mcp_token=SecretStr(MCP_TOKEN), mount_mcp=True)
    response = client.post("/api/tools/run_query", json={"sql": "SELECT COUNT(*) FROM clientes"})
    assert response.status_code == 401
    assert client.post("/api/tools/list_connections", json={}).status_code == 401
    mcp_auth = {"Authorization": f"Bearer {MCP_TOKEN}"}  # REST has no own key: the MCP token opens it
    assert client.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=mcp_auth).status_code == 200


def test_only_api_keys_no_longer_leave_mcp_open(keyed: TestClient) -> None:
    assert keyed.post("/mcp/", json=INITIALIZE, headers=MCP_HEADERS).status_code == 401
    ok = keyed.post("/mcp/", json=INITIALIZE, headers=MCP_HEADERS | AUTH)
    assert ok.status_code == 200, ok.text


def test_mcp_with_own_token_refuses_the_rest_key(serve: Callable[..., TestClient]) -> None:
    client = serve(api_keys=[f"ana:{TOKEN}"], mcp_token=SecretStr(MCP_TOKEN), mount_mcp=True)
    assert client.post("/mcp/", json=INITIALIZE, headers=MCP_HEADERS | AUTH).status_code == 401
    assert client.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=AUTH).status_code == 200
    mcp_auth = {"Authorization": f"Bearer {MCP_TOKEN}"}  # and vice versa
    assert client.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=mcp_auth).status_code == 401
    assert client.post("/mcp/", json=INITIALIZE, headers=MCP_HEADERS | mcp_auth).status_code == 200


def test_a_token_split_across_two_authorization_headers_is_refused(keyed: TestClient) -> None:
    half = len(TOKEN) // 2
    headers = [("Authorization", f"Bearer {TOKEN[:half]}"), ("Authorization", TOKEN[half:])]
    response = keyed.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=headers)
    assert response.status_code == 401


def test_ten_megabyte_sql_is_413_without_a_traceback(keyed: TestClient) -> None:
    response = keyed.post("/api/tools/run_query", json={"sql": "SELECT " + "1+" * 5_000_000 + "1"}, headers=AUTH)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large" and "Traceback" not in response.text


def test_ui_login_alone_refuses_to_start_with_open_rest_and_mcp(base_settings: Settings) -> None:
    settings = base_settings.model_copy(update={"ui_auth": "password", "ui_password": SecretStr("senha-longa-chat")})
    with pytest.raises(InsecureExposureError) as refused:
        create_app(build_app(settings), mount_ui=False, mount_mcp=True)
    assert "VOZBD_API_KEYS" in refused.value.message and "VOZBD_MCP_TOKEN" in refused.value.message
    policy = AuthPolicy.from_settings(settings)
    assert policy.requires_token("rest") and policy.requires_token("mcp")  # and locked if built anyway
    assert policy.authenticate("rest", b"Bearer senha-longa-chat") is None


# --- DNS rebinding and cross-origin -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "attacker.test:8000", "", "[::2]"]
)
@pytest.mark.parametrize("path", ["/api/v1/connections", "/health", "/mcp/"])
def test_foreign_host_headers_are_refused_on_loopback(serve: Callable[..., TestClient], host: str, path: str) -> None:
    client = serve(mount_mcp=True)
    response = client.post(path, json=INITIALIZE, headers={"Host": host} | MCP_HEADERS)
    assert response.status_code in (400, 421), (host, path, response.status_code)
    assert response.json()["code"] == "host_not_allowed"


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_host_headers_pass(serve: Callable[..., TestClient], host: str) -> None:
    assert serve().get("/health", headers={"Host": host}).status_code == 200


def test_pinned_allowed_hosts_on_a_lan_bind(serve: Callable[..., TestClient]) -> None:
    client = serve(
        host="0.0.0.0",
        api_keys=[f"ana:{TOKEN}"],
        allowed_hosts=["vozbd.example.com"],
        base_url="http://vozbd.example.com",
    )
    assert client.get("/health").status_code == 200
    assert client.get("/health", headers={"Host": "rebind.evil"}).status_code == 421


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "null", "http://localhost:9999", "ftp://localhost:8000", "file://", "http://localhost"],
)
def test_foreign_origins_are_refused_even_with_a_valid_key(keyed: TestClient, origin: str) -> None:
    before = table_checksums(demo_db_path())
    response = keyed.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=AUTH | {"Origin": origin})
    assert response.status_code == 403, origin
    assert response.json()["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in response.headers
    assert table_checksums(demo_db_path()) == before


def test_same_origin_browser_requests_pass(keyed: TestClient) -> None:
    response = keyed.post(
        "/api/tools/run_query", json={"sql": "SELECT 1"}, headers=AUTH | {"Origin": "http://localhost:8000"}
    )
    assert response.status_code == 200


def test_cors_is_pinned_to_configured_origins(serve: Callable[..., TestClient]) -> None:
    client = serve(api_keys=[f"ana:{TOKEN}"], cors_origins=["https://painel.example.com"])
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    ok = client.options("/api/v1/ask", headers=preflight | {"Origin": "https://painel.example.com"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://painel.example.com"
    assert ok.headers.get("access-control-allow-credentials") != "true"
    evil = client.options("/api/v1/ask", headers=preflight | {"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert "access-control-allow-origin" not in evil.headers


def test_websocket_from_a_foreign_origin_is_closed(serve: Callable[..., TestClient]) -> None:
    client = serve()
    # an explicit loopback Host: the TestClient's own ("testserver") would be refused for the Host, not the Origin
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("ws://localhost:8000/ws/socket.io/", headers={"Origin": "http://evil.example"}),
    ):
        pass
    assert closed.value.code == 1008
    assert closed.value.reason == "origin_not_allowed"


def test_chainlit_config_does_not_allow_every_origin() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "ui" / ".chainlit" / "config.toml").read_text(encoding="utf-8"))
    assert "*" not in config["project"]["allow_origins"]


# --- untrusted input never builds a connection ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "connection",
    [
        "mysql://root@127.0.0.1:3306/test?init_command=CREATE%20TABLE%20pwn(x%20int)",
        "sqlite:////etc/passwd",
        "postgresql://postgres@127.0.0.1:5432/postgres?options=-c%20default_transaction_read_only%3Doff",
    ],
)
def test_rest_refuses_database_urls_from_requests(serve: Callable[..., TestClient], connection: str) -> None:
    before = table_checksums(demo_db_path())
    secret_url = connection.replace("root@", "root:s3nha-na-url@")
    response = serve().post("/api/tools/run_query", json={"sql": "SELECT 1", "connection": secret_url})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_connection"
    assert "s3nha-na-url" not in response.text
    assert table_checksums(demo_db_path()) == before


def test_non_admin_keys_cannot_add_or_delete_connections(serve: Callable[..., TestClient]) -> None:
    client = serve(api_keys=[f"ana:{TOKEN}", "bia:token-longo-da-bia-0123456789"], api_admins=["ana"])
    bia = {"Authorization": "Bearer token-longo-da-bia-0123456789"}
    body = {"name": "vendas", "url": f"sqlite:///{demo_db_path()}"}
    assert client.post("/api/v1/connections", json=body, headers=bia).status_code == 403
    assert client.post("/api/v1/connections", json=body, headers=AUTH).status_code == 201
    assert client.delete("/api/v1/connections/vendas", headers=bia).status_code == 403


def test_paths_that_look_like_mcp_do_not_skip_auth(keyed: TestClient) -> None:
    for path in ("//mcp/", "/MCP/", "/mcp%2f", "/api/../mcp/"):
        response = keyed.post(path, json=INITIALIZE, headers=MCP_HEADERS)
        assert response.status_code in (401, 404, 405), (path, response.status_code)


# --- the server refuses to start open -----------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.0.10", "::", "0", "[::]"])
def test_open_surfaces_off_loopback_refuse_to_start(base_settings: Settings, host: str) -> None:
    settings = base_settings.model_copy(update={"host": host})
    with pytest.raises(InsecureExposureError) as refused:
        create_app(build_app(settings), mount_ui=False, mount_mcp=True)
    assert "--insecure" in refused.value.message
    assert "VOZBD_API_KEYS" in refused.value.message


def test_insecure_flag_starts_anyway(base_settings: Settings, tool_ctx: ToolContext) -> None:
    settings = base_settings.model_copy(update={"host": "0.0.0.0"})
    app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False, insecure=True)
    with TestClient(app, base_url="http://192.168.0.10:8000") as client:
        assert client.post("/api/tools/run_query", json={"sql": "SELECT 1"}).status_code == 200
        assert client.get("/health").json()["insecure"] is True  # visible to monitoring


def test_token_for_rest_with_an_open_chat_refuses_to_start() -> None:
    policy = AuthPolicy.from_settings(Settings(api_keys=[f"ana:{TOKEN}"], _env_file=None))
    with pytest.raises(InsecureExposureError) as refused:
        check_exposure(policy, "127.0.0.1", ("rest", "mcp", "ui"))
    assert "VOZBD_UI_AUTH" in refused.value.message
    check_exposure(policy, "127.0.0.1", ("rest", "mcp"))  # without the chat: fine


def test_every_surface_protected_starts_off_loopback() -> None:
    settings = Settings(
        api_keys=[f"ana:{TOKEN}"], ui_auth="password", ui_password=SecretStr("senha-longa"), _env_file=None
    )
    check_exposure(AuthPolicy.from_settings(settings), "0.0.0.0", ("rest", "mcp", "ui"))


def test_serve_cli_refuses_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vozbd.cli.app import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--no-ui"])
    assert result.exit_code == 2
    assert "--insecure" in result.output


def test_short_api_key_tokens_are_refused_by_settings() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        Settings(api_keys=["ana:curto"], _env_file=None)


@pytest.mark.parametrize(
    ("args", "needs"),
    [
        (["ui", "--host", "0.0.0.0", "--no-browser"], "VOZBD_UI_AUTH"),
        (["mcp", "--http", "--host", "0.0.0.0"], "VOZBD_MCP_TOKEN"),
    ],
)
def test_standalone_surfaces_refuse_to_start_open_off_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], needs: str
) -> None:
    from typer.testing import CliRunner

    from vozbd.cli.app import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("ui.launch.serve", lambda *a, **k: (_ for _ in ()).throw(AssertionError("must not serve")))
    monkeypatch.setattr("mcp_server.http.run_http", lambda *a, **k: (_ for _ in ()).throw(AssertionError("no")))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needs in result.output and "--insecure" in result.output


def test_standalone_guard_checks_host_origin_and_mcp_token(base_settings: Settings) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from vozbd.api.guard import standalone_guard

    inner = Starlette(routes=[Route("/{path:path}", lambda _: PlainTextResponse("ok"), methods=["GET", "POST"])])
    settings = base_settings.model_copy(update={"mcp_token": SecretStr(MCP_TOKEN)})
    client = TestClient(standalone_guard(settings, "127.0.0.1")(inner), base_url="http://localhost:8765")
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 421
    assert client.get("/", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/mcp").status_code == 401
    assert client.post("/mcp", headers={"Authorization": f"Bearer {MCP_TOKEN}"}).status_code == 200
    assert client.get("/").text == "ok"  # the chat page itself: the login is Chainlit's
