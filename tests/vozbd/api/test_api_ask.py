"""POST /api/v1/ask: JSON answer with SQL, capped rows, chart and timings; SSE events; memory per caller."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.dbutil import table_checksums
from tests.vozbd.api.conftest import ANA, BIA
from tools.db.demo import demo_db_path
from vozbd.settings import Settings


def test_ask_returns_answer_sql_rows_and_timings(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"].startswith("Temos ")
    assert body["sql"][0]["statement"] == "SELECT COUNT(*) AS total FROM clientes"
    table = body["results"][0]
    assert table["columns"] == ["total"] and table["rows"][0][0] > 0
    assert body["chart"] is None  # one number: no chart
    assert {"llm_total_ms", "sql_ms", "total_ms"} <= set(body["timings"])
    assert body["conversation_id"]


def test_chart_spec_for_label_and_number(client: TestClient) -> None:
    body = client.post("/api/v1/ask", json={"question": "clientes por estado"}).json()
    chart = body["chart"]
    assert chart["kind"] == "bar" and chart["x"] == "uf" and chart["y"] == "clientes"
    assert len(chart["points"]) == body["results"][0]["row_count"]


def test_rows_are_capped_by_the_api_limit(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_max_rows=5)
    table = client.post("/api/v1/ask", json={"question": "todos os clientes"}).json()["results"][0]
    assert len(table["rows"]) == 5
    assert table["row_count"] > 5 and table["truncated"] is True


def test_refused_sql_is_reported_and_changes_nothing(client: TestClient) -> None:
    before = table_checksums(demo_db_path())
    body = client.post("/api/v1/ask", json={"question": "apague os clientes"}).json()
    assert body["sql"][0]["error_code"] == "unsafe_query"
    assert "unsafe_query" in body["answer"]
    assert table_checksums(demo_db_path()) == before


def _events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_sse_streams_typed_events_in_order(client: TestClient) -> None:
    with client.stream(
        "POST", "/api/v1/ask", json={"question": "Quantos clientes temos?"}, headers={"Accept": "text/event-stream"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done"
    assert names.index("sql") < names.index("rows") < names.index("done")
    assert "token" in names or "answer" in names
    sql = dict(events)["sql"]
    assert sql["statement"].startswith("SELECT COUNT(*)")
    done = events[-1][1]
    assert done["answer"].startswith("Temos") and done["timings"]["total_ms"] > 0


def test_memory_continues_a_conversation_and_is_per_caller(keyed: TestClient) -> None:
    first = keyed.post("/api/v1/ask", json={"question": "Quantos clientes temos?"}, headers=ANA).json()
    cid = first["conversation_id"]
    again = keyed.post("/api/v1/ask", json={"question": "e antes?", "conversation_id": cid}, headers=ANA).json()
    assert again["conversation_id"] == cid
    listed = keyed.get(f"/api/v1/conversations/{cid}", headers=ANA).json()
    assert [t["question"] for t in listed["turns"]] == ["Quantos clientes temos?", "e antes?"]
    assert listed["turns"][0]["sql"] == "SELECT COUNT(*) AS total FROM clientes"
    assert listed["turns"][0]["surface"] == "api" and listed["turns"][0]["row_count"] == 1
    # the same id under another key is another (empty) conversation
    assert keyed.get(f"/api/v1/conversations/{cid}", headers=BIA).status_code == 404
    assert keyed.delete(f"/api/v1/conversations/{cid}", headers=BIA).status_code == 404
    assert [c["conversation_id"] for c in keyed.get("/api/v1/conversations", headers=ANA).json()] == [cid]
    assert keyed.get("/api/v1/conversations", headers=BIA).json() == []
    assert keyed.delete(f"/api/v1/conversations/{cid}", headers=ANA).status_code == 204
    assert keyed.get(f"/api/v1/conversations/{cid}", headers=ANA).status_code == 404


def test_a_broken_model_does_not_stop_deleting_a_conversation(
    make_client: Callable[..., TestClient], api_settings: Settings
) -> None:
    """Deleting turns and memory needs no language model: a model that cannot load must not make it a 503."""
    cid = make_client().post("/api/v1/ask", json={"question": "Quantos clientes temos?"}).json()["conversation_id"]

    def remembered() -> int:
        with sqlite3.connect(api_settings.checkpoint_file) as conn:
            return conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id LIKE ?", (f"%:{cid}",)).fetchone()[0]

    assert remembered() > 0
    broken = make_client(model="scripted/roteiro-que-nao-existe.yaml")
    assert broken.post("/api/v1/ask", json={"question": "Oi"}).status_code == 503  # the model really is broken
    assert broken.delete(f"/api/v1/conversations/{cid}").status_code == 204
    assert broken.get(f"/api/v1/conversations/{cid}").status_code == 404
    assert remembered() == 0  # the memory went too


def test_unknown_connection_is_404_before_the_turn(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"question": "Quantos clientes temos?", "connection": "nao_salva"})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_connection"
    assert "demo" in response.json()["message"]


def test_openapi_documents_every_v1_route_with_errors_and_bearer_auth(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/ask",
        "/api/v1/transcribe",
        "/api/v1/speak",
        "/api/v1/connections",
        "/api/v1/connections/{name}/schema",
        "/api/v1/connections/{name}/query",
        "/api/v1/conversations/{conversation_id}",
        "/health",
        "/ready",
        "/metrics",
    ):
        assert path in paths, path
    ask = paths["/api/v1/ask"]["post"]
    assert {"401", "413", "422", "429", "503"} <= set(ask["responses"])
    assert ask["responses"]["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn." not in docs.text  # assets served locally: works offline
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200


def test_app_database_down_is_503_and_never_a_200_without_its_row(client: TestClient) -> None:
    """A turn is acknowledged only once its log row is committed: with the app DB unreachable the caller gets 503."""
    import socket

    from vozbd.appdb.engine import create_app_engine
    from vozbd.appdb.logs import ConversationLogStore

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    logs = client.app.state.api.conversations.logs
    client.app.state.api.conversations.logs = ConversationLogStore(
        create_app_engine(f"postgresql://postgres@127.0.0.1:{port}/nada")
    )
    try:
        response = client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"})
        assert response.status_code == 503
        assert response.json()["code"] == "app_db_unavailable"
        stream = client.post(
            "/api/v1/ask", json={"question": "Quantos clientes temos?"}, headers={"Accept": "text/event-stream"}
        )
        names = [name for name, _ in _events(stream.text)]
        assert names[-1] == "error" and "done" not in names  # the stream never claims success
    finally:
        client.app.state.api.conversations.logs = logs
    assert client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"}).status_code == 200


def test_statements_run_for_an_api_key_are_audited_with_its_name(api_settings) -> None:
    from tests.vozbd.api.conftest import KEY_ANA
    from vozbd.appdb.audit import QueryAuditStore
    from vozbd.server import create_app
    from vozbd.wiring import build_app, build_app_database

    settings = api_settings.model_copy(update={"api_keys": [KEY_ANA]})
    app = create_app(build_app(settings), mount_ui=False, mount_mcp=False)  # the real tool context: audit on
    with TestClient(app, base_url="http://localhost:8000") as client:
        assert client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"}, headers=ANA).status_code == 200
        query = {"sql": "SELECT COUNT(*) FROM pedidos"}
        assert client.post("/api/v1/connections/demo/query", json=query, headers=ANA).status_code == 200
    database = build_app_database(settings)
    try:
        rows = QueryAuditStore(database.engine).list(surface="api")
    finally:
        database.dispose()
    assert {(row["user_id"], row["sql"]) for row in rows} >= {
        ("ana", "SELECT COUNT(*) AS total FROM clientes"),
        ("ana", "SELECT COUNT(*) FROM pedidos"),
    }
