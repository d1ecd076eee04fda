"""``vozbd serve --only speech`` in-process: the API's error shape, guard, rate limits and early 413s, and
``/ready`` with the real engines (espeak-ng; no Whisper model in the empty models folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vozbd.api.ratelimit import RateLimitConfig
from vozbd.settings import Settings
from vozbd.speech_service import SpeechServiceConfig, create_speech_app
from vozbd.wiring import local_speech_backend

TOKEN = "token-do-servico-de-voz-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _shape(body: dict[str, object], code: str) -> None:
    assert set(body) == {"code", "message", "detail"} and body["code"] == code and body["message"]


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=tmp_path, models_dir=tmp_path / "models", tts_engine="espeak")
    config = SpeechServiceConfig(
        token=TOKEN, max_audio_bytes=4096, max_json_bytes=2048, rate_limits=RateLimitConfig(per_key="5/minute")
    )
    with TestClient(create_speech_app(local_speech_backend(settings), config), base_url="http://127.0.0.1") as client:
        yield client


def test_errors_have_the_api_shape(service: TestClient) -> None:
    refused = service.get("/speech/v1/engines")
    assert refused.status_code == 401 and "VOZBD_SPEECH_TOKEN" in refused.json()["message"]
    _shape(refused.json(), "unauthorized")
    _shape(service.get("/speech/v1/nada", headers=AUTH).json(), "not_found")
    invalid = service.post("/speech/v1/synthesize", json={"text": ""}, headers=AUTH)
    assert invalid.status_code == 422
    _shape(invalid.json(), "invalid_request")
    missing = service.post("/speech/v1/transcribe", content=b"RIFF....", headers=AUTH)  # no Whisper model here
    assert missing.status_code == 503
    _shape(missing.json(), "model_missing")


def test_bodies_over_the_limits_are_refused_early(service: TestClient) -> None:
    declared = service.post("/speech/v1/transcribe", content=b"\0" * 200_000, headers=AUTH)
    assert declared.status_code == 413
    _shape(declared.json(), "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        for _ in range(200):
            yield b"\0" * 1024

    streamed = service.post("/speech/v1/transcribe", content=chunks(), headers=AUTH)
    assert streamed.status_code == 413
    big_json = service.post("/speech/v1/synthesize", json={"text": "a" * 4000}, headers=AUTH)
    assert big_json.status_code == 413


def test_rate_limit_per_token_is_429_with_retry_after(service: TestClient) -> None:
    statuses = [service.get("/speech/v1/engines", headers=AUTH).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = service.get("/speech/v1/engines", headers=AUTH)
    assert int(limited.headers["Retry-After"]) >= 1
    _shape(limited.json(), "rate_limited")
    assert service.get("/health").status_code == 200  # open, not counted


def test_health_and_ready_answer_head_probes(service: TestClient) -> None:
    for path in ("/health", "/ready"):
        response = service.head(path)
        assert response.status_code == service.get(path).status_code and response.content == b"", path  # was 405


def test_ready_reports_installed_and_loaded(service: TestClient) -> None:
    ready = service.get("/ready").json()
    assert ready["stt"]["installed"] is False and ready["stt"]["loaded"] is False
    assert ready["tts"]["installed"] is True and ready["tts"]["loaded"] is False
    spoken = service.post("/speech/v1/synthesize", json={"text": "Olá."}, headers=AUTH)
    assert spoken.status_code == 200 and b"pcm16" in spoken.content
    assert service.get("/ready").json()["tts"]["loaded"] is True
    assert service.get("/speech/v1/status", headers=AUTH).json()["tts"]["loaded_engines"] == ["espeak"]
