"""Speech apart from the gateway, with two real processes: ``vozbd serve --only speech`` holds the models,
a gateway with ``VOZBD_SPEECH_URL`` (and no models at all) speaks and transcribes through it."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ui.conftest import real_models_dir, speech_models_installed
from tests.vozbd.scaleout.servers import VOZBD, ApiKey, Server, free_port, server_env, start_server, wait_healthy

pytestmark = pytest.mark.slow


def _start_speech(tmp: Path, token: str) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
    env |= {
        "VOZBD_DATA_DIR": str(tmp / "speech"),
        "VOZBD_MODELS_DIR": str(real_models_dir()),
        "VOZBD_SPEECH_TOKEN": token,
        "VOZBD_STT_THREADS": "2",
        "VOZBD_LOG_LEVEL": "WARNING",
    }
    log_path = tmp / "speech.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VOZBD), "serve", "--only", "speech", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return wait_healthy(Server("speech", port, process, log_path), 60)


@pytest.fixture(scope="module")
def speech_and_gateway(
    tmp_path_factory: pytest.TempPathFactory, shared_pg_url: str
) -> Iterator[tuple[Server, Server, str, ApiKey]]:
    if not speech_models_installed():
        from tests.conftest import unavailable

        unavailable("speech models not installed (vozbd models install)")
    tmp = tmp_path_factory.mktemp("speech")
    token = secrets.token_hex(16)
    speech = _start_speech(tmp, token)
    key = ApiKey.new("voz")
    env = server_env(tmp, database_url=shared_pg_url, keys=[key], rate_limit_per_key="100000/minute")
    env |= {"VOZBD_SPEECH_URL": speech.url, "VOZBD_SPEECH_TOKEN": token, "VOZBD_MODELS_DIR": str(tmp / "none")}
    try:
        gateway = start_server("gateway", tmp, env)
    except AssertionError:
        speech.stop()
        raise
    yield speech, gateway, token, key
    gateway.stop()
    speech.stop()


def test_gateway_speaks_and_transcribes_through_the_speech_service(
    speech_and_gateway: tuple[Server, Server, str, ApiKey],
) -> None:
    _, gateway, _, key = speech_and_gateway
    with httpx.Client(base_url=gateway.url, headers=key.headers, timeout=120) as client:
        spoken = client.post("/api/v1/speak", json={"text": "Quantos clientes temos em São Paulo?", "engine": "kokoro"})
        assert spoken.status_code == 200, spoken.text
        with wave.open(io.BytesIO(spoken.content)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        assert seconds > 1.0
        heard = client.post("/api/v1/transcribe", files={"audio": ("pergunta.wav", spoken.content, "audio/wav")})
        assert heard.status_code == 200, heard.text
        body = heard.json()
        assert "clientes" in body["text"].lower() and body["language"] == "pt" and body["segments"]
        ready = client.get("/ready").json()["checks"]
    assert ready["stt"]["ok"] is True and ready["stt"]["detail"]["url"].startswith("http://127.0.0.1:")
    assert "kokoro" in ready["tts"]["detail"]["usable"]


def test_speech_service_requires_its_token_and_refuses_bad_audio(
    speech_and_gateway: tuple[Server, Server, str, ApiKey],
) -> None:
    speech, _, token, _ = speech_and_gateway
    body = {"text": "Olá."}
    assert httpx.post(f"{speech.url}/speech/v1/synthesize", json=body, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * 32}
    assert httpx.post(f"{speech.url}/speech/v1/synthesize", json=body, headers=wrong, timeout=30).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    bad = httpx.post(f"{speech.url}/speech/v1/transcribe", content=b"OggS" + b"\0" * 300, headers=auth, timeout=60)
    assert bad.status_code == 415 and bad.json()["code"] == "audio_invalid" and bad.json()["message"]
    streamed = httpx.post(f"{speech.url}/speech/v1/synthesize", json={"text": "Um. Dois."}, headers=auth, timeout=60)
    lines = [line for line in streamed.text.splitlines() if line]
    assert streamed.headers["content-type"].startswith("application/x-ndjson") and len(lines) >= 1


def test_gateway_reports_a_missing_speech_service(tmp_path: Path, shared_pg_url: str) -> None:
    key = ApiKey.new("semvoz")
    env = server_env(tmp_path, database_url=shared_pg_url, keys=[key], rate_limit_per_key="100000/minute")
    env |= {"VOZBD_SPEECH_URL": f"http://127.0.0.1:{free_port()}", "VOZBD_MODELS_DIR": str(tmp_path / "none")}
    gateway = start_server("orphan", tmp_path, env)
    try:
        response = httpx.post(f"{gateway.url}/api/v1/speak", json={"text": "Olá."}, headers=key.headers, timeout=60)
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "speech_unavailable" and "indisponível" in response.json()["message"]
    finally:
        gateway.stop()


def test_remote_engines_stream_clauses_and_transcribe_vad_trimmed_samples(
    speech_and_gateway: tuple[Server, Server, str, ApiKey],
) -> None:
    """The client side used by gateways (and the voice loop): clauses arrive one by one; PCM samples go back."""
    import numpy as np

    from agent.speech.audio import resample
    from agent.speech.remote import RemoteSpeech, SpeechServiceUnavailableError

    speech, _, token, _ = speech_and_gateway
    remote = RemoteSpeech(speech.url, token=token)
    try:
        chunks = list(remote.synthesizer("kokoro").synthesize("Quantos clientes temos? Em São Paulo, por favor."))
        assert len(chunks) >= 2 and all(c.sample_rate == chunks[0].sample_rate for c in chunks)
        assert any("clientes" in c.text for c in chunks)
        samples = resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, 16_000)
        heard = remote.transcriber().transcribe_samples(samples, prefiltered=True)
        assert "clientes" in heard.text.lower()
        assert {"kokoro", "espeak"} <= set(remote.available())
    finally:
        remote.client.close()
    with pytest.raises(SpeechServiceUnavailableError):
        RemoteSpeech(speech.url, token="wrong-token-0123456789").synthesizer().voices()
