"""/api/v1/speak (WAV streamed per clause) and /api/v1/transcribe (multipart) with the real engines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.speech import models
from agent.speech.audio import wav_to_samples


def test_speak_streams_a_playable_wav(client: TestClient) -> None:
    with client.stream(
        "POST", "/api/v1/speak", json={"text": "Temos 32 clientes em São Paulo. E 12 no Rio.", "engine": "espeak"}
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers["x-voice-engine"] == "espeak"
        parts = list(response.iter_bytes())
    data = b"".join(parts)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    samples, rate = wav_to_samples(data)
    assert rate > 8000 and samples.size / rate > 1.0  # more than a second of speech


def test_speak_refuses_unknown_voice_and_empty_text(client: TestClient) -> None:
    unknown = client.post("/api/v1/speak", json={"text": "Olá.", "engine": "espeak", "voice": "nao_existe"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_voice"
    assert client.post("/api/v1/speak", json={"text": ""}).status_code == 422
    nothing = client.post("/api/v1/speak", json={"text": "```sql\nSELECT 1\n```", "engine": "espeak"})
    assert nothing.status_code == 422 and nothing.json()["code"] == "nothing_to_say"


def test_transcribe_refuses_non_audio(client: TestClient) -> None:
    response = client.post("/api/v1/transcribe", files={"audio": ("a.txt", b"ola", "text/plain")})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert client.post("/api/v1/transcribe", data={"x": "1"}).status_code == 422


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models")
    results = models.install(directory)
    if any(r.action == "unavailable" and "whisper" in r.name for r in results):
        pytest.fail(f"whisper model unavailable: {results}")
    return directory


@pytest.mark.slow
def test_spoken_question_round_trip(make_client: Callable[..., TestClient], models_dir: Path) -> None:
    client = make_client(models_dir=models_dir, stt_threads=2)
    spoken = client.post("/api/v1/speak", json={"text": "Quantos clientes temos em São Paulo?", "engine": "kokoro"})
    assert spoken.status_code == 200
    response = client.post("/api/v1/transcribe", files={"audio": ("pergunta.wav", spoken.content, "audio/wav")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "pt"
    assert "clientes" in body["text"].lower()
    assert 0 < body["confidence"] <= 1 and body["segments"] and body["duration_s"] > 1
    corrupt = client.post("/api/v1/transcribe", files={"audio": ("x.ogg", b"OggS" + b"\x00" * 500, "audio/ogg")})
    assert corrupt.status_code == 415 and corrupt.json()["code"] == "audio_invalid"


@pytest.mark.slow
def test_phone_recordings_labelled_as_video_are_transcribed(
    make_client: Callable[..., TestClient], models_dir: Path, tmp_path: Path
) -> None:
    """Browsers send a phone's recording with its container's type: Android's .3gp as video/3gpp, .mp4 as
    video/mp4, an iPhone's .mov as video/quicktime. They were refused as 'não é áudio'."""
    import subprocess

    client = make_client(models_dir=models_dir, stt_threads=2)
    spoken = client.post("/api/v1/speak", json={"text": "Quantos clientes temos em São Paulo?", "engine": "kokoro"})
    wav = tmp_path / "pergunta.wav"
    wav.write_bytes(spoken.content)
    for suffix, kind in ((".3gp", "video/3gpp"), (".mp4", "video/mp4"), (".mov", "video/quicktime")):
        recording = tmp_path / f"gravacao{suffix}"
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-ar", "16000", "-c:a", "aac", str(recording)],
            check=True,
        )
        response = client.post("/api/v1/transcribe", files={"audio": (recording.name, recording.read_bytes(), kind)})
        assert response.status_code == 200, (kind, response.text)
        assert "clientes" in response.json()["text"].lower()
    video_only = tmp_path / "sem-som.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=5",
            "-t",
            "1",
            str(video_only),
        ],
        check=True,
    )
    response = client.post("/api/v1/transcribe", files={"audio": ("sem-som.mp4", video_only.read_bytes(), "video/mp4")})
    assert response.status_code == 415 and response.json()["code"] == "audio_invalid"
