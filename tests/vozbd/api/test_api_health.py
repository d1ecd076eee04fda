"""/health, /ready (each dependency separately) and /metrics (Prometheus text)."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import unavailable
from tests.ui.conftest import real_models_dir, speech_models_installed
from tests.vozbd.api.conftest import ANA
from tools.context import ToolContext
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app


def test_health_is_open_and_cheap(keyed: TestClient) -> None:
    body = keyed.get("/health").json()
    assert body["status"] == "ok" and body["version"]


def test_health_and_ready_answer_head_probes(keyed: TestClient) -> None:
    """Load balancers and uptime checkers probe with HEAD: same status as GET, no body (was 405)."""
    for path in ("/health", "/api/health", "/ready"):
        response = keyed.head(path)
        assert response.status_code == keyed.get(path).status_code, path
        assert response.content == b""


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


def test_metrics_labels_stay_bounded_whatever_methods_and_paths_clients_send(
    make_client: Callable[..., TestClient],
) -> None:
    # The client picks the method and the path: neither may add a time series per distinct value (a memory DoS).
    client = make_client(mount_mcp=True)
    rng = random.Random(7)
    sent: list[str] = []
    known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    for i in range(50):
        word = "".join(rng.choices(string.ascii_lowercase, k=12))
        method = word.upper()[:8] if i % 3 else rng.choice([*known, "get", "TRACE", "PROPFIND"])
        prefix = rng.choice(["/api/", "/api/v1/connections/", "/api/v1/connections/demo/", "/mcp/", "/", "/ui/"])
        client.request(method, prefix + word)
        sent.append(word)
    text = client.get("/metrics").text
    labels = set(re.findall(r'^vozbd_http_requests_total\{method="([^"]*)",route="([^"]*)",status="\d+"\}', text, re.M))
    methods = {method for method, _ in labels}
    assert methods <= {*known, "other"} and "other" in methods
    routes = {route for _, route in labels}
    app = client.app
    assert isinstance(app, FastAPI)
    templates = {*app.openapi()["paths"], *(getattr(route, "path", None) for route in app.routes)}
    assert routes <= templates | {"ui", "unmatched"}, routes - templates
    assert not [word for word in sent if word in text]  # no path and no method became a label
    # 50 requests, each with a new method or path: at most 8 methods x the handful of routes x statuses they hit.
    assert len(labels) <= 20, sorted(labels)


def test_ready_says_whether_speech_is_installed_and_loaded(
    api_settings: Settings, tool_ctx: ToolContext, tmp_path: Path
) -> None:
    settings = api_settings.model_copy(update={"models_dir": tmp_path / "no-models", "tts_engine": "espeak"})
    vozbd_app = build_app(settings, tool_ctx=tool_ctx)
    with TestClient(create_app(vozbd_app, mount_ui=False, mount_mcp=False), base_url="http://localhost") as client:
        checks = client.get("/ready").json()["checks"]
        stt, tts, llm = (checks[name]["detail"] for name in ("stt", "tts", "llm"))
        assert checks["stt"]["ok"] is False and checks["stt"]["required"] is False
        assert stt["installed"] is False and stt["loaded"] is False and stt["error"]
        assert checks["tts"]["ok"] is True and tts["installed"] is True and tts["loaded"] is False
        assert llm["configured"] is True and "reachable" in llm
        vozbd_app.speech.synthesizer("espeak")  # what the first spoken answer does
        tts = client.get("/ready").json()["checks"]["tts"]["detail"]
        assert tts["loaded"] is True and tts["loaded_engines"] == ["espeak"]


def test_ready_reports_the_whisper_model_loaded_only_once_it_is_in_memory(
    api_settings: Settings, tool_ctx: ToolContext
) -> None:
    if not speech_models_installed():
        unavailable("speech models not installed (vozbd models install)")
    vozbd_app = build_app(api_settings.model_copy(update={"models_dir": real_models_dir()}), tool_ctx=tool_ctx)
    with TestClient(create_app(vozbd_app, mount_ui=False, mount_mcp=False), base_url="http://localhost") as client:
        stt = client.get("/ready").json()["checks"]["stt"]
        assert stt["ok"] is True and stt["detail"]["installed"] is True and stt["detail"]["loaded"] is False
        vozbd_app.speech.transcriber()  # built, but the model is still on disk
        assert client.get("/ready").json()["checks"]["stt"]["detail"]["loaded"] is False
        vozbd_app.speech.transcriber().warm_up()
        assert client.get("/ready").json()["checks"]["stt"]["detail"]["loaded"] is True
