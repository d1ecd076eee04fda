"""/health, /ready (each dependency separately) and /metrics (Prometheus text)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.vozbd.api.conftest import ANA


def test_health_is_open_and_cheap(keyed: TestClient) -> None:
    body = keyed.get("/health").json()
    assert body["status"] == "ok" and body["version"]


def test_ready_reports_each_dependency(client: TestClient) -> None:
    response = client.get("/ready")
    body = response.json()
    assert set(body["checks"]) >= {"app_db", "redis", "connection_registry", "stt", "tts", "llm"}
    for check in body["checks"].values():
        assert {"ok", "required", "detail", "elapsed_ms"} <= set(check)
    assert body["checks"]["connection_registry"]["ok"] is True
    assert body["checks"]["llm"]["ok"] is True  # the scripted model is configured and "reachable"
    assert response.status_code == (200 if body["ready"] else 503)


def test_ready_is_503_when_a_required_dependency_fails(make_client: Callable[..., TestClient]) -> None:
    client = make_client(model="ollama/qwen2.5:7b", ollama_base_url="http://127.0.0.1:9")  # nothing listens
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["llm"]["ok"] is False and body["checks"]["llm"]["required"] is True


def test_metrics_count_requests_by_route_template(keyed: TestClient) -> None:
    keyed.get("/api/v1/connections/demo/schema", headers=ANA)
    keyed.post("/api/v1/connections/demo/query", json={"sql": "DELETE FROM clientes"}, headers=ANA)
    text = keyed.get("/metrics", headers=ANA).text
    assert 'route="/api/v1/connections/{name}/schema"' in text
    assert "vozbd_http_request_duration_seconds_bucket" in text
    assert "vozbd_safe_query_refusals_total" in text
    assert 'vozbd_active{kind="sse"}' in text
    assert "/api/v1/connections/demo/schema" not in text  # raw paths never become labels
