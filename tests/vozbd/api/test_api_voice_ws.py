"""WS /api/v1/voice: whole spoken turns through examples/voice_client.py against a real uvicorn server."""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.netutil import free_port, serve_in_thread
from tests.ui.conftest import real_models_dir
from tools.context import ToolContext
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
PORTS = range(8800, 8900)


def _client_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("voice_client", ROOT / "examples" / "voice_client.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


voice_client = _client_module()


@pytest.fixture
def served(api_settings: Settings, tool_ctx: ToolContext) -> Iterator[tuple[str, Any]]:
    """``host:port`` of the real app served by uvicorn, and the app."""
    settings = api_settings.model_copy(update={"models_dir": real_models_dir(), "tts_engine": "espeak"})
    app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False)
    with serve_in_thread(app, free_port(PORTS), join_s=15, ws="auto") as url:
        yield url.removeprefix("http://"), app


@pytest.fixture
def server(served: tuple[str, Any]) -> str:
    return served[0]


def _question(tmp_path: Path, text: str) -> Path:
    wav = tmp_path / "pergunta.wav"
    raw = tmp_path / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "pt-br", "-s", "150", "-w", str(raw), text], check=True)
    subprocess.run(
        ["ffmpeg", "-y", "-loglevel", "error", "-i", str(raw), "-ac", "1", "-ar", "16000", str(wav)], check=True
    )
    return wav


def _of(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def test_a_whole_spoken_turn_hands_free(server: str, tmp_path: Path) -> None:
    wav = _question(tmp_path, "quantos clientes temos")
    result = voice_client.converse(f"ws://{server}/api/v1/voice", wav, realtime=False, conversation_id="conversa-voz-1")
    events = result["events"]
    assert events[0]["type"] == "ready" and events[0]["conversation_id"] == "conversa-voz-1"
    final = _of(events, "transcript_final")
    assert len(final) == 1 and "clientes" in final[0]["text"].lower() and final[0]["turn"] == 1
    assert _of(events, "tool_start")[0]["name"] == "run_query"
    assert _of(events, "tool_end")[0]["row_count"] == 1
    answer = _of(events, "answer")[0]["text"]
    assert answer.startswith("Temos ") and answer.endswith(" clientes.")
    done = _of(events, "turn_done")[0]
    documented = {"ready", "speech_started", "transcript_partial", "transcript_final", "answer_token", "tool_start"}
    documented |= {"tool_end", "answer", "audio", "interrupted", "turn_done", "notice", "error"}
    assert {e["type"] for e in events} <= documented  # the protocol of the module doc, nothing else
    assert done["turn"] == 1 and not done["interrupted"] and done["question"] == final[0]["text"]
    assert {"endpoint_s", "stt_s", "stt_wait_s", "agent_first_text_s", "tts_first_audio_s"} <= set(done["timings"])
    pcm = result["audio"][1]
    assert len(pcm) / 2 / result["out_rate"] > 0.5  # the spoken answer came back as PCM16
    audio_events = _of(events, "audio")
    assert [a["seq"] for a in audio_events] == list(range(len(audio_events)))
    # The turn is in the conversation log as a voice turn of the voice surface.
    conversation = httpx.get(f"http://{server}/api/v1/conversations/conversa-voz-1", timeout=10).json()
    turn = conversation["turns"][0]
    assert turn["surface"] == "voice" and turn["input_mode"] == "voice" and turn["answer"] == answer


def test_a_stereo_recording_of_two_questions_on_a_noisy_floor(server: str, tmp_path: Path) -> None:
    """A 48 kHz stereo file as a phone records it (noise floor, hum, DC offset) holding two questions: two answers."""
    import numpy as np

    from agent.speech.audio import read_audio
    from tests.agent.voice import mic

    rate = 48_000
    questions = [read_audio(_question(tmp_path, q), target=rate)[0] for q in ("quantos clientes temos", "e produtos")]
    gap = np.zeros(int(1.5 * rate), np.float32)
    clean = np.concatenate([gap[: rate // 2], questions[0], gap, questions[1], gap])
    noisy = mic.room(clean, rate, snr_db=20, hum_db=25, hum_hz=60, dc=0.03, seed=4)
    wav = tmp_path / "conversa.wav"
    wav.write_bytes(mic.stereo_wav(noisy, rate))
    result = voice_client.converse(f"ws://{server}/api/v1/voice", wav, realtime=False)
    assert result["events"][0]["sample_rate"] == rate
    finals = [e["text"].lower() for e in _of(result["events"], "transcript_final")]
    assert len(finals) == 2 and "clientes" in finals[0], finals
    assert [d["turn"] for d in _of(result["events"], "turn_done")] == [1, 2]


def test_the_client_reads_any_integer_pcm_wav(tmp_path: Path) -> None:
    import wave

    frames = [(1000, 3000), (-2000, -4000), (32767, 32767)]
    for width in (2, 3, 4):
        path = tmp_path / f"s{width}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(width)
            wav.setframerate(44_100)
            shift = 8 * (width - 2)
            wav.writeframes(b"".join((v << shift).to_bytes(width, "little", signed=True) for f in frames for v in f))
        pcm, rate = voice_client.read_wav(path)
        assert rate == 44_100
        assert [int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in (0, 2, 4)] == [2000, -3000, 32767]


def test_push_to_talk_turn_ends_at_end_of_input(server: str, tmp_path: Path) -> None:
    wav = _question(tmp_path, "quantos clientes temos")
    result = voice_client.converse(f"ws://{server}/api/v1/voice", wav, push_to_talk=True, realtime=False)
    assert result["events"][0]["mode"] == "push_to_talk"
    assert "clientes" in _of(result["events"], "transcript_final")[0]["text"].lower()
    assert _of(result["events"], "turn_done")


def test_bad_parameters_and_messages_get_a_clear_error(server: str) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(f"ws://{server}/api/v1/voice?sample_rate=3") as ws:
        error = __import__("json").loads(ws.recv(timeout=10))
        assert error["type"] == "error" and error["code"] == "invalid_request" and "sample_rate" in error["message"]
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1008
    with connect(f"ws://{server}/api/v1/voice") as ws:
        assert __import__("json").loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send("{not json")
        error = __import__("json").loads(ws.recv(timeout=10))
        assert error["code"] == "invalid_message"
        ws.send(b"\x00\x01\x02")  # odd number of bytes: not PCM16
        assert __import__("json").loads(ws.recv(timeout=10))["code"] == "audio_invalid"


def test_hostile_parameters_and_frames_are_refused_cleanly(server: str) -> None:
    import json

    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    for query, code in (
        ("conversation_id=abc%0A", "invalid_request"),  # a trailing newline once passed re.match's "$"
        ("connection=demo%0A", "invalid_request"),
        ("connection=nao_salva", "unknown_connection"),  # refused at connect, as POST /ask refuses it (404)
        ("voice=nao_existe", "unknown_voice"),  # refused at connect, as POST /speak refuses it (was a silent fallback)
        ("sample_rate=" + "9" * 5000, "invalid_request"),  # int() past Python's digit limit: a traceback, no answer
        ("voice=" + "x" * 6000, "invalid_request"),  # bounded like /speak's field (it was echoed back whole)
    ):
        with connect(f"ws://{server}/api/v1/voice?{query}") as ws:
            error = json.loads(ws.recv(timeout=30))
            assert error["type"] == "error" and error["code"] == code, (query, error)
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1008
    with connect(f"ws://{server}/api/v1/voice") as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send("[" * 100_000)  # past the JSON parser's recursion depth: once an unhandled RecursionError
        assert json.loads(ws.recv(timeout=10))["code"] == "invalid_message"
        ws.send(b"\x00\x01\x02")  # the socket still serves
        assert json.loads(ws.recv(timeout=10))["code"] == "audio_invalid"


def test_a_spoken_turn_the_log_cannot_store_is_answered_with_a_notice(served: tuple[str, Any], tmp_path: Path) -> None:
    """App database down: the conversation goes on, and the client is told the turn was not logged (it was
    swallowed without a word, on the socket or in the server log)."""
    from vozbd.appdb.engine import create_app_engine
    from vozbd.appdb.logs import ConversationLogStore

    server, app = served
    store = app.state.api.conversations
    store.logs = ConversationLogStore(create_app_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nada"))
    wav = _question(tmp_path, "quantos clientes temos")
    events = voice_client.converse(f"ws://{server}/api/v1/voice", wav, realtime=False)["events"]
    (notice,) = [e for e in _of(events, "notice") if e["code"] == "app_db_unavailable"]
    assert notice["turn"] == 1 and "não foi registrada" in notice["message"]
    assert _of(events, "turn_done")[0]["answer"].startswith("Temos ")


def test_a_client_gone_before_its_refusal_is_not_a_server_error(server: str) -> None:
    """The refusal (error + close) sent to a client that already left was logged as "Exception in ASGI
    application" with a traceback."""
    import base64
    import logging
    import os
    import socket
    import time

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]  # a list-backed handler
    errors = logging.getLogger("uvicorn.error")
    errors.addHandler(handler)
    try:
        host, port = server.split(":")
        for query in ("connection=nao_salva", "voice=nao_existe"):
            key = base64.b64encode(os.urandom(16)).decode()
            with socket.create_connection((host, int(port))) as sock:
                sock.sendall(
                    f"GET /api/v1/voice?{query} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
                )
            time.sleep(1.0)  # the server resolves the parameter, then answers a socket already closed
    finally:
        errors.removeHandler(handler)
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]


def test_a_client_that_leaves_mid_answer_stops_its_synthesis(
    served: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client hangs up after the first audio of a ten-sentence answer: the rest is not synthesized for nobody
    (it was, clause after clause, and the socket's handler then waited for the unheard audio to "play"), and the
    turn is still logged."""
    import json
    import threading
    import time

    from websockets.sync.client import connect

    from agent.speech.textprep import speech_chunks

    server, app = served
    services = app.state.api
    synthesizer = services.synthesizer(None)
    real, calls, left = synthesizer.synthesize_clause, [], threading.Event()  # one call per clause

    def counting(text: str, **kwargs: Any) -> Any:
        calls.append(text)
        if len(calls) == 2:
            left.wait(30)  # the second clause is ready only once the client has hung up
        return real(text, **kwargs)

    monkeypatch.setattr(synthesizer, "synthesize_clause", counting)
    wav = _question(tmp_path, "fale dos clientes")
    pcm, rate = voice_client.read_wav(wav)
    with connect(f"ws://{server}/api/v1/voice?sample_rate={rate}&conversation_id=saiu-no-meio") as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        step = int(rate * 0.04) * 2
        for offset in range(0, len(pcm) + rate * 2, step):
            ws.send((pcm + bytes(rate * 2))[offset : offset + step])
        while not (isinstance(event := ws.recv(timeout=60), str) and json.loads(event)["type"] == "audio"):
            pass
    left.set()
    sockets = services.metrics.active_of("websocket")
    deadline = time.monotonic() + 120
    while sockets._value.get() > 0 and time.monotonic() < deadline:  # the socket's handler has returned
        time.sleep(0.05)
    assert sockets._value.get() == 0
    (turn,) = httpx.get(f"http://{server}/api/v1/conversations/saiu-no-meio", timeout=10).json()["turns"]
    assert turn["answer"].startswith("Temos clientes em muitos estados.")  # the text is still logged whole
    assert len(speech_chunks(turn["answer"])) >= 10
    assert len(calls) <= 3, calls  # the clause in hand when it left, at most one more; not the other eight


def test_the_client_waits_for_the_turn_done_of_an_answer_longer_than_its_stall_limit(
    server: str, tmp_path: Path
) -> None:
    """A ten-sentence answer is sent in a moment and plays for ~20 s; turn_done (with the timings the client
    prints) comes after it has played. The client left after 10 s of quiet, without it."""
    wav = _question(tmp_path, "fale dos clientes")
    events = voice_client.converse(f"ws://{server}/api/v1/voice", wav, realtime=False)["events"]
    (done,) = _of(events, "turn_done")
    assert done["answer"].startswith("Temos clientes em muitos estados.") and not done["interrupted"]


def test_without_a_language_model_the_conversation_is_refused_in_text(
    api_settings: Settings, tool_ctx: ToolContext
) -> None:
    """POST /ask answers 503 model_not_configured; the voice socket accepted and then spoke that admin message
    (35 s of environment variable names) as the answer to every question."""
    import json

    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = api_settings.model_copy(
        update={
            "model": None,
            "ollama_base_url": nowhere,
            "openai_compatible_base_url": f"{nowhere}/v1",
            "models_dir": real_models_dir(),
            "tts_engine": "espeak",
        }
    )
    app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False)
    with (
        serve_in_thread(app, free_port(PORTS), join_s=15, ws="auto") as url,
        connect(f"ws://{url.removeprefix('http://')}/api/v1/voice") as ws,
    ):
        error = json.loads(ws.recv(timeout=30))
        assert error["type"] == "error" and error["code"] == "model_not_configured"
        assert "VOZBD_MODEL" in error["message"]
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1013  # try again later: the server lacks something, the client did no wrong
