"""Held-out class 5 (issue #11, second red-team pass): surface attacks that ``test_surface_attacks.py`` does not make.

Real app (``create_app`` over the real tools and the demo database), spoken to through Starlette's TestClient; MCP is
also called through a real uvicorn socket with the MCP SDK client. Each test states the attack and the safe answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl, SecretStr
from starlette.websockets import WebSocketDisconnect

from tests.dbutil import table_checksums
from tests.mcp_server.helpers import INITIALIZE, MCP_HEADERS, http_session, text_of
from tests.netutil import serve_in_thread
from tests.vozbd.security.conftest import AUTH, MCP_TOKEN, TOKEN
from tools.context import ToolContext
from tools.db.demo import demo_db_path
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app

SECRET = "S3nha-da-url-9z"
WS = "ws://localhost:8000"  # the TestClient's own Host for WebSockets ("testserver") is refused as a foreign host


@pytest.fixture
def keyed(serve: Callable[..., TestClient]) -> TestClient:
    return serve(api_keys=[f"ana:{TOKEN}"], api_admins=["ana"], mount_mcp=True)


def _no_traceback(response: httpx.Response) -> None:
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text[:500]


# --- methods and spellings of protected paths ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/metrics", "/api/v1/connections", "/api/tools", "/mcp/"])
def test_preflight_without_a_key_returns_no_data(keyed: TestClient, path: str) -> None:
    """OPTIONS skips the bearer check (CORS preflight): it must never answer with the resource itself."""
    response = keyed.options(path, headers={"Access-Control-Request-Method": "GET"})
    assert response.status_code in (200, 204, 400, 401, 403, 404, 405), response.status_code
    assert "vozbd_http_requests" not in response.text and "demo" not in response.text.lower()


@pytest.mark.parametrize("path", ["/metrics/", "/metrics?name[]=vozbd_active", "/api/v1/connections/", "/api//tools"])
def test_path_spellings_do_not_skip_the_key(keyed: TestClient, path: str) -> None:
    response = keyed.get(path, follow_redirects=True)
    assert response.status_code in (401, 404, 405), (path, response.status_code)
    assert "vozbd_http_requests" not in response.text and "sqlite" not in response.text.lower()


def test_head_on_metrics_needs_the_key(keyed: TestClient) -> None:
    assert keyed.head("/metrics").status_code == 401


# --- the voice WebSocket ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("", {}),  # no credentials
        (f"?token={TOKEN}", {}),  # a token in the query string is not a credential
        (f"?access_token={TOKEN}", {}),
        ("", {"Authorization": f"Bearer {MCP_TOKEN}"}),  # the MCP token on the REST surface
        ("", {"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"}),  # right key, foreign page
        ("", {"Authorization": f"Bearer {TOKEN}", "Origin": "null"}),
    ],
)
def test_voice_websocket_refuses_without_the_rest_key(
    serve: Callable[..., TestClient], query: str, headers: dict[str, str]
) -> None:
    client = serve(api_keys=[f"ana:{TOKEN}"], mcp_token=SecretStr(MCP_TOKEN), mount_mcp=True)
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"{WS}/api/v1/voice{query}", headers=headers) as ws,
    ):
        ws.receive_text()  # an accepted socket would answer (or wait); a refused one is closed before this
    assert closed.value.code == 1008
    expected = "origin_not_allowed" if "Origin" in headers else "unauthorized"
    assert closed.value.reason == expected  # refused for the credential, not for an unrelated Host


def test_voice_websocket_opens_with_the_rest_key(serve: Callable[..., TestClient]) -> None:
    """The control case: the same socket with the right key is accepted (the refusals above are about credentials)."""
    client = serve(api_keys=[f"ana:{TOKEN}"])
    with client.websocket_connect(f"{WS}/api/v1/voice?sample_rate=7", headers=AUTH) as ws:
        message = json.loads(ws.receive_text())  # a bad parameter: a clear error from the accepted socket
    assert message["type"] == "error"


# --- Origin and Host spellings --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:8000.evil.example",
        "http://localhost:8000@evil.example",
        "http://evil.example#@localhost:8000",
        "http://localhost:8000 http://evil.example",
        "http://localhost:80000",
        "http://[::1]:8000",  # another loopback name is still another origin
        "chrome-extension://abcdefghijklmnop",
    ],
)
def test_origin_look_alikes_are_refused(keyed: TestClient, origin: str) -> None:
    before = table_checksums(demo_db_path())
    response = keyed.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers=AUTH | {"Origin": origin})
    assert response.status_code == 403, (origin, response.status_code)
    assert "access-control-allow-origin" not in response.headers
    assert table_checksums(demo_db_path()) == before


def test_mcp_preflight_from_a_foreign_origin_is_refused(keyed: TestClient) -> None:
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    response = keyed.options("/mcp/", headers=preflight | {"Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("host", ["evil.example.", "LOCALHOST.EVIL.EXAMPLE", "localhost:8000:evil", "0x7f000001.evil"])
def test_host_look_alikes_are_refused(serve: Callable[..., TestClient], host: str) -> None:
    response = serve(mount_mcp=True).get("/api/v1/connections", headers={"Host": host})
    assert response.status_code in (400, 421), (host, response.status_code)


# --- untrusted inputs in paths and query strings ------------------------------------------------------------------
@pytest.mark.parametrize(
    "connection",
    [
        "sqlite:////etc/passwd",
        f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres",
        f"mysql://root:{SECRET}@127.0.0.1:3306/test?init_command=CREATE%20TABLE%20pwn(x%20int)",
    ],
)
def test_urls_in_the_path_name_no_connection(keyed: TestClient, connection: str) -> None:
    before = table_checksums(demo_db_path())
    name = quote(connection, safe="")
    for method, path, body in (
        ("GET", f"/api/v1/connections/{name}/schema", None),
        ("POST", f"/api/v1/connections/{name}/query", {"sql": "SELECT 1"}),
        ("POST", f"/api/v1/connections/{name}/test", None),
    ):
        response = keyed.request(method, path, json=body, headers=AUTH)
        assert response.status_code in (400, 404, 422), (path, response.status_code, response.text[:300])
        assert SECRET not in response.text
        _no_traceback(response)
    assert table_checksums(demo_db_path()) == before


def test_connection_url_in_the_query_string_is_not_used(keyed: TestClient) -> None:
    url = quote(f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres", safe="")
    response = keyed.post(f"/api/tools/run_query?connection={url}", json={"sql": "SELECT 1 AS n"}, headers=AUTH)
    assert response.status_code in (200, 400, 404, 422)
    assert SECRET not in response.text
    if response.status_code == 200:  # the query string is ignored: the body's (default) connection answered
        assert "postgres" not in json.dumps(response.json().get("connection", "")).lower()


def test_admin_added_url_with_a_forbidden_option_is_refused_without_echoing_the_password(keyed: TestClient) -> None:
    body = {
        "name": "vendas",
        "url": f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres?options=-c%20default_transaction_read_only%3Doff",
    }
    response = keyed.post("/api/v1/connections", json=body, headers=AUTH)
    assert response.status_code in (400, 422), response.status_code
    assert SECRET not in response.text
    assert "vendas" not in keyed.get("/api/v1/connections", headers=AUTH).text


def test_health_and_ready_do_not_show_saved_passwords(keyed: TestClient, tool_ctx: ToolContext) -> None:
    tool_ctx.registry.add("cofre", f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres")
    for path in ("/health", "/api/health", "/ready", "/openapi.json"):
        response = keyed.get(path)
        assert SECRET not in response.text, path


# --- bodies that stress the parsers ---------------------------------------------------------------------------------
def test_deeply_nested_json_body_is_a_clean_4xx(keyed: TestClient) -> None:
    body = '{"sql": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = keyed.post("/api/tools/run_query", content=body, headers=AUTH | {"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.status_code
    _no_traceback(response)


@pytest.mark.parametrize("depth", [60, 400])
def test_deeply_nested_sql_is_a_clean_refusal(keyed: TestClient, depth: int) -> None:
    """Parser recursion (issue #11, class 4): the validator answers with a pt-BR refusal, never a 500."""
    sql = "SELECT " + "(" * depth + "1" + ")" * depth + " AS x"
    response = keyed.post("/api/tools/run_query", json={"sql": sql}, headers=AUTH)
    assert response.status_code == 403, (response.status_code, response.text[:300])  # the API's unsafe_query status
    assert response.json()["detail"]["code"] == "too_complex"
    _no_traceback(response)


def test_chunked_oversize_body_without_length_is_413(keyed: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"sql": "SELECT '
        for _ in range(200):
            yield b"1+" * 50_000
        yield b'1"}'

    response = keyed.post("/api/tools/run_query", content=chunks(), headers=AUTH | {"Content-Type": "application/json"})
    assert response.status_code == 413, response.status_code
    _no_traceback(response)


@pytest.mark.parametrize("length", ["abc", "-1", "99999999999999999999"])
def test_malformed_content_length_is_refused(keyed: TestClient, length: str) -> None:
    response = keyed.post(
        "/api/tools/run_query",
        content=b'{"sql": "SELECT 1"}',
        headers=AUTH | {"Content-Type": "application/json", "Content-Length": length},
    )
    assert 400 <= response.status_code < 500, (length, response.status_code)


@pytest.mark.parametrize(
    "authorization",
    [b"Bearer \xff\xfe" + TOKEN.encode(), b"Bearer " + b"x" * 200_000, b"Bearer " + TOKEN.encode() + b"\x00"],
)
def test_odd_authorization_bytes_are_401(keyed: TestClient, authorization: bytes) -> None:
    response = keyed.post("/api/tools/run_query", json={"sql": "SELECT 1"}, headers={"Authorization": authorization})
    assert response.status_code in (400, 401, 431), response.status_code
    _no_traceback(response)


# --- MCP over a real socket: untrusted connection names -------------------------------------------------------------


def test_mcp_tool_calls_with_url_connections_are_refused(base_settings: Settings, tool_ctx: ToolContext) -> None:
    settings = base_settings.model_copy(update={"mcp_token": SecretStr(MCP_TOKEN)})
    app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=True)
    before = table_checksums(demo_db_path())
    attacks = [
        ("run_query", {"sql": "SELECT 1", "connection": "sqlite:////etc/passwd"}),
        ("run_query", {"sql": "SELECT 1", "connection": f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres"}),
        ("run_query", {"sql": "SELECT 1", "connection": "../../../../etc/passwd"}),
        ("inspect_schema", {"connection": f"mysql://root:{SECRET}@127.0.0.1:3306/test?init_command=DO%201"}),
    ]

    async def calls() -> list[tuple[bool, str]]:
        async with http_session(f"{base}/mcp/", {"Authorization": f"Bearer {MCP_TOKEN}"}) as session:
            results = [await session.call_tool(name, args) for name, args in attacks]
            for target in ("sqlite:////etc/passwd", f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres"):
                uri = "schema://" + quote(target, safe="")
                try:  # the resource template names a connection too: a URL in it is refused, never opened
                    read = await session.read_resource(AnyUrl(uri))
                except McpError as error:
                    leaked.append(str(error))
                else:
                    leaked.append(str(read.model_dump()))
                    assert "Tabela" not in leaked[-1] and "root:x:0:0" not in leaked[-1], leaked[-1][:300]
        return [(bool(result.isError), text_of(result)) for result in results]

    leaked: list[str] = []

    with serve_in_thread(app) as base:
        assert httpx.post(f"{base}/mcp/", json=INITIALIZE, headers=MCP_HEADERS).status_code == 401
        outcomes = asyncio.run(calls())
    for (name, args), (is_error, text) in zip(attacks, outcomes, strict=True):
        assert is_error, (name, args, text)
        assert SECRET not in text and "root:x:0:0" not in text
    # the percent-encoded name is echoed back as given (it is the caller's own text, and not a URL to vozbd)
    assert len(leaked) == 2 and all("unknown_connection" in text and "root:x:0:0" not in text for text in leaked)
    assert table_checksums(demo_db_path()) == before
