"""A small client of vozbd's voice WebSocket (``WS /api/v1/voice``): speak a WAV file, hear the answer.

    python examples/voice_client.py pergunta.wav [--url ws://127.0.0.1:8000/api/v1/voice] [--token KEY]
                                     [--push-to-talk] [--fast] [--out resposta.wav]

Streams the file as 16-bit mono PCM in 40 ms frames (in real time, like a microphone, unless ``--fast``), then
one second of silence so the server detects the end of the utterance (or, with ``--push-to-talk``, an
``end_of_input`` message), prints the transcript, the answer and the per-stage timings of each turn, and writes
the answer's audio to ``--out``. Needs only ``websockets`` (``pip install websockets``); the WAV must be 16-bit
mono (``ffmpeg -i in.m4a -ac 1 -ar 16000 -sample_fmt s16 pergunta.wav``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import wave
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import connect

FRAME_S = 0.04


class Refused(Exception):
    """The server answered the connection with an ``error`` event (bad parameter, unknown connection, rate limit)."""


def read_wav(path: Path) -> tuple[bytes, int]:
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise SystemExit(f"{path}: use a 16-bit mono WAV (ffmpeg -i in -ac 1 -sample_fmt s16 out.wav)")
            return wav.readframes(wav.getnframes()), wav.getframerate()
    except (OSError, EOFError, wave.Error) as error:
        raise SystemExit(f"{path}: not a readable WAV file ({error})") from None


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def converse(
    url: str,
    wav: Path,
    *,
    token: str | None = None,
    push_to_talk: bool = False,
    realtime: bool = True,
    conversation_id: str | None = None,
    timeout_s: float = 120.0,
) -> dict[str, Any]:
    """Speak ``wav`` over the socket; return {"events": [...], "audio": {turn: pcm bytes}, "out_rate": int}."""
    pcm, rate = read_wav(wav)
    query = {"sample_rate": rate, "mode": "push_to_talk" if push_to_talk else "hands_free"}
    if conversation_id:
        query["conversation_id"] = conversation_id
    headers = {"Authorization": f"Bearer {token}"} if token else None
    events: list[dict[str, Any]] = []
    audio: dict[int, bytearray] = {}
    with connect(f"{url}?{urlencode(query)}", additional_headers=headers, max_size=4 * 1024 * 1024) as ws:
        ready = json.loads(ws.recv(timeout=30))
        if ready.get("type") != "ready":
            raise Refused(f"{ready.get('code')}: {ready.get('message')}")
        events.append(ready)
        step = int(rate * FRAME_S) * 2
        tail = b"" if push_to_talk else bytes(rate * 2)  # 1 s of silence ends the utterance
        started = time.monotonic()
        stream = pcm + tail
        for i, offset in enumerate(range(0, len(stream), step)):
            if realtime:
                time.sleep(max(0.0, started + i * FRAME_S - time.monotonic()))
            ws.send(stream[offset : offset + step])
        if push_to_talk:
            ws.send(json.dumps({"type": "end_of_input"}))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                message = ws.recv(timeout=1.0)
            except TimeoutError:
                if not push_to_talk:
                    ws.send(bytes(step))  # a microphone keeps streaming silence
                continue
            if isinstance(message, bytes):
                continue
            event = json.loads(message)
            events.append(event)
            if event["type"] == "audio":
                audio.setdefault(event["turn"], bytearray()).extend(ws.recv(timeout=30))  # type: ignore[arg-type]
            if event["type"] in ("turn_done", "error") or (event["type"] == "notice" and push_to_talk):
                break
    return {"events": events, "audio": {k: bytes(v) for k, v in audio.items()}, "out_rate": ready["out_rate"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wav", type=Path)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/api/v1/voice")
    parser.add_argument("--token", default=None, help="API key (VOZBD_API_KEYS), if the server requires one")
    parser.add_argument("--push-to-talk", action="store_true")
    parser.add_argument("--fast", action="store_true", help="send the file as fast as possible")
    parser.add_argument("--out", type=Path, default=Path("resposta.wav"))
    args = parser.parse_args()
    try:
        result = converse(args.url, args.wav, token=args.token, push_to_talk=args.push_to_talk, realtime=not args.fast)
    except InvalidStatus as error:  # refused before the socket opened: authentication, Origin or Host
        status = error.response.status_code
        hint = " (missing or wrong --token?)" if status in (401, 403) else ""
        raise SystemExit(f"{args.url}: the server refused the connection with HTTP {status}{hint}") from None
    except Refused as error:
        raise SystemExit(f"{args.url}: the server refused the conversation: {error}") from None
    except (OSError, InvalidURI, InvalidHandshake, ConnectionClosed) as error:
        raise SystemExit(f"{args.url}: cannot talk to the server ({type(error).__name__}: {error})") from None
    for event in result["events"]:
        kind = event["type"]
        if kind == "transcript_final":
            print(f"você: {event['text']}")
        elif kind == "answer":
            print(f"vozbd: {event['text']}")
        elif kind == "turn_done":
            print("tempos (s): " + json.dumps(event["timings"], ensure_ascii=False))
        elif kind in ("notice", "error"):
            print(f"{kind}: {event['message']}", file=sys.stderr)
    pcm = b"".join(result["audio"].values())
    if pcm:
        write_wav(args.out, pcm, result["out_rate"])
        print(f"áudio da resposta: {args.out} ({len(pcm) / 2 / result['out_rate']:.1f} s)")


if __name__ == "__main__":
    main()
