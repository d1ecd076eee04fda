"""POST /api/v1/transcribe with ``connection``: the connection's stored names are recognised exactly."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.speech import models


def _silence_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 16000)
    return buffer.getvalue()


def test_unknown_connection_is_404_before_any_transcription(client: TestClient) -> None:
    response = client.post(
        "/api/v1/transcribe", files={"audio": ("a.wav", _silence_wav(), "audio/wav")}, data={"connection": "nao_existe"}
    )
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "unknown_connection"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models")
    models.install(directory)
    return directory


@pytest.mark.slow
def test_connection_vocabulary_corrects_names(make_client: Callable[..., TestClient], models_dir: Path) -> None:
    client = make_client(models_dir=models_dir, stt_threads=2)
    spoken = client.post(
        "/api/v1/speak", json={"text": "Quantos clientes temos em Juazeiro do Norte?", "engine": "kokoro"}
    )
    assert spoken.status_code == 200
    audio = {"audio": ("pergunta.wav", spoken.content, "audio/wav")}
    plain = client.post("/api/v1/transcribe", files=audio).json()
    biased = client.post("/api/v1/transcribe", files=audio, data={"connection": "demo"}).json()
    assert plain["heard"] is None
    assert biased["heard"] == plain["text"]
    assert "Juazeiro do Norte" in biased["text"]
