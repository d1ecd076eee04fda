"""A small client of vozbd's voice WebSocket (``WS /api/v1/voice``): speak a WAV file, hear the answer.

    python examples/voice_client.py pergunta.wav [--url ws://127.0.0.1:8000/api/v1/voice] [--token KEY]
                                     [--push-to-talk] [--fast] [--out resposta.wav] [--conversation-id ID]

Streams the file as 16-bit mono PCM in 40 ms frames (in real time, like a microphone, unless ``--fast``), then
one second of silence so the server detects the end of the utterance (or, with ``--push-to-talk``, an
``end_of_input`` message), prints the transcript, the answer and the per-stage timings of each turn, and writes
the answer's audio to ``--out``. A file with several questions gets every answer: hands-free, the client waits
until each turn the server started is done and the server has been quiet for a moment. Needs only ``websockets``
(``pip install websockets``). The WAV may be mono or stereo (channels are mixed down), 8/16/24/32-bit integer
PCM, at any rate the server accepts (8-192 kHz); other formats: ``ffmpeg -i in.m4a -ac 1 -sample_fmt s16 q.wav``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import wave
from array import array
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import connect

FRAME_S = 0.04
SETTLE_S = 1.5  # hands-free: done once every started turn is answered and the server was quiet this long
STALLED_S = 10.0  # ... or once it was quiet this long with no transcribed turn open (an utterance it dropped)


class Refused(Exception):
    """The server answered the connection with an ``error`` event (bad parameter, unknown connection, rate limit)."""


def read_wav(path: Path) -> tuple[bytes, int]:
    """The WAV's audio as 16-bit mono PCM (integer PCM of 8-32 bits, any number of channels, mixed down)."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            data = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as error:  # float WAVs too: convert them (ffmpeg -sample_fmt s16)
        raise SystemExit(f"{path}: not a readable WAV file ({error})") from None
    if width == 2:
        samples = array("h", data)
        if sys.byteorder == "big":
            samples.byteswap()  # array("h", bytes) reads the machine's order; WAV is little-endian
    elif width == 1:  # unsigned 8-bit
        samples = array("h", ((b - 128) << 8 for b in data))
    else:  # 24- or 32-bit little-endian signed: keep the top 16 bits
        samples = array(
            "h",
            (
                int.from_bytes(data[i : i + width], "little", signed=True) >> (8 * (width - 2))
                for i in range(0, len(data), width)
            ),
        )
    if channels > 1:
        samples = array("h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes(), rate


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
        last_event = time.monotonic()
        open_turns: set[int] = set()  # turns the server started (speech_started) and has not finished
        heard: set[int] = set()  # turns with a transcript: only their turn_done finishes them
        while time.monotonic() < deadline:
            quiet = time.monotonic() - last_event
            # A turn with a transcript ends only with its turn_done, which comes once its audio has played (a long
            # answer is sent much faster than it plays: quiet for longer than STALLED_S); timeout_s bounds it.
            stalled = quiet >= STALLED_S and not open_turns & heard
            if not push_to_talk and (stalled or (not open_turns and quiet >= SETTLE_S)):
                break
            try:
                message = ws.recv(timeout=0.5)
            except TimeoutError:
                if not push_to_talk:
                    ws.send(bytes(step))  # a microphone keeps streaming silence
                continue
            if isinstance(message, bytes):
                continue
            event = json.loads(message)
            events.append(event)
            last_event = time.monotonic()
            kind, turn = event["type"], event.get("turn", 0)
            if kind == "audio":
                audio.setdefault(turn, bytearray()).extend(ws.recv(timeout=30))  # type: ignore[arg-type]
            elif kind in ("speech_started", "transcript_final"):
                open_turns.add(turn)
                if kind == "transcript_final":
                    heard.add(turn)
            elif kind == "turn_done" or (kind == "notice" and turn not in heard):  # e.g. nothing recognized
                open_turns.discard(turn)
            if kind == "error" or (push_to_talk and kind in ("turn_done", "notice")):
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
    parser.add_argument("--conversation-id", default=None, help="continue this conversation (memory and log)")
    args = parser.parse_args()
    try:
        result = converse(
            args.url,
            args.wav,
            token=args.token,
            push_to_talk=args.push_to_talk,
            realtime=not args.fast,
            conversation_id=args.conversation_id,
        )
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
