"""Speech on another process: the client side of ``vozbd serve --only speech`` (used when VOZBD_SPEECH_URL is set).

Gateways scale apart from the heavy part (Whisper, Kokoro): STT and TTS run in a speech service (a GPU box or a
pool of workers) and gateways reach it over HTTP with the same ``Transcriber``/``Synthesizer`` interfaces the
local engines have. Wire protocol (all under ``{url}/speech/v1``; ``Authorization: Bearer <token>`` when set):

- ``POST /transcribe[?pcm16_rate=N[&prefiltered=true]]`` — body: the encoded audio (or raw mono PCM16 at N Hz;
  ``prefiltered``: one VAD-trimmed utterance at 16 kHz, transcribed without a second VAD pass) → JSON transcript
  ``{text, language, confidence, segments: [{start, end, text, avg_logprob}], duration_s, processing_s}``;
- ``POST /synthesize`` — JSON ``{text, engine, voice, speed}`` → ``application/x-ndjson``, one line per clause
  as soon as it is synthesized: ``{"sample_rate": 24000, "text": "...", "pcm16": "<base64 PCM16 LE mono>"}``;
  a failure after the stream started arrives as a line ``{"error": code, "message": pt-BR}``;
- ``GET /voices?engine=E``, ``GET /engines``, ``POST /warm_up`` ``{stt, engine, voice}``.

Errors come back as ``{"error": code, "message": pt-BR}`` and are raised as the matching ``SpeechError``; an
unreachable service raises ``SpeechServiceUnavailableError``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from agent.speech.base import (
    AudioChunk,
    AudioInputError,
    ModelMissingError,
    NoSpeechError,
    RecognitionAbandoned,
    Segment,
    SpeechError,
    Transcript,
    Voice,
)
from agent.speech.vocabulary import SpeechVocabulary, apply_vocabulary

API_PREFIX = "/speech/v1"
UNAVAILABLE_MESSAGE = "O serviço de voz está indisponível no momento; tente novamente em alguns segundos."


class SpeechServiceUnavailableError(SpeechError):
    """The remote speech service did not answer (down, timeout, refused the token)."""

    code = "speech_unavailable"


_ERRORS_BY_CODE: dict[str, type[SpeechError]] = {
    cls.code: cls
    for cls in (AudioInputError, NoSpeechError, ModelMissingError, SpeechServiceUnavailableError, SpeechError)
}


def speech_error_from(payload: dict[str, Any]) -> SpeechError:
    """The typed error of an error body ``{"code", "message", "detail"}`` (older services: ``{"error", ...}``)."""
    code = str(payload.get("code") or payload.get("error") or SpeechError.code)
    message = str(payload.get("message") or UNAVAILABLE_MESSAGE)
    return _ERRORS_BY_CODE.get(code, SpeechError)(message, code=code)


def encode_chunk(chunk: AudioChunk) -> bytes:
    """One NDJSON line for a chunk (float32 samples → PCM16 little-endian, base64)."""
    pcm = (np.clip(np.asarray(chunk.samples, dtype=np.float32), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    line = {"sample_rate": chunk.sample_rate, "text": chunk.text, "pcm16": base64.b64encode(pcm).decode()}
    return json.dumps(line, ensure_ascii=False).encode() + b"\n"


def decode_chunk(line: dict[str, Any]) -> AudioChunk:
    pcm = np.frombuffer(base64.b64decode(line["pcm16"]), dtype="<i2")
    return AudioChunk(samples=pcm.astype(np.float32) / 32767.0, sample_rate=int(line["sample_rate"]), text=line["text"])


class SpeechClient:
    """A small httpx client of the speech service, shared by the remote transcriber and synthesizers."""

    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 120.0) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url + API_PREFIX,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=5.0),
        )

    def close(self) -> None:
        self._http.close()

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        code = (payload.get("code") or payload.get("error")) if isinstance(payload, dict) else None
        # The caller's fault (4xx with a code) or a known speech failure travels typed; a refused token, the
        # service's own rate limit or an unexplained failure means the service is unavailable to this gateway.
        typed = bool(code) and (response.status_code < 500 or code in _ERRORS_BY_CODE)
        if response.status_code in (401, 403, 429) or not typed:
            raise SpeechServiceUnavailableError(
                UNAVAILABLE_MESSAGE, detail={"status": response.status_code, "url": self.url}
            )
        raise speech_error_from(payload)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise SpeechServiceUnavailableError(
                UNAVAILABLE_MESSAGE, detail={"url": self.url, "reason": type(error).__name__}
            ) from error
        self._raise_for(response)
        return response.json()

    def stream_lines(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        try:
            with self._http.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for(response)
                for line in response.iter_lines():
                    if line.strip():
                        yield json.loads(line)
        except httpx.HTTPError as error:
            raise SpeechServiceUnavailableError(
                UNAVAILABLE_MESSAGE, detail={"url": self.url, "reason": type(error).__name__}
            ) from error


class RemoteTranscriber:
    name = "remote"

    def __init__(self, client: SpeechClient) -> None:
        self._client = client

    def transcribe(
        self, audio: bytes | Path, *, pcm16_rate: int | None = None, vocabulary: SpeechVocabulary | None = None
    ) -> Transcript:
        """The service recognises; ``vocabulary`` corrects the transcript here (it is pure text work)."""
        data = Path(audio).read_bytes() if isinstance(audio, Path) else bytes(audio)
        transcript = self._post(data, {"pcm16_rate": pcm16_rate} if pcm16_rate else None)
        return apply_vocabulary(transcript, vocabulary)

    def _post(self, data: bytes, params: dict[str, Any] | None) -> Transcript:
        headers = {"content-type": "application/octet-stream"}
        payload = self._client.request("POST", "/transcribe", content=data, params=params, headers=headers)
        return Transcript(
            text=payload["text"],
            language=payload["language"],
            confidence=float(payload["confidence"]),
            segments=tuple(Segment(**segment) for segment in payload.get("segments", [])),
            duration_s=float(payload["duration_s"]),
            processing_s=float(payload["processing_s"]),
        )

    def transcribe_samples(
        self,
        samples: np.ndarray,
        *,
        started: float | None = None,
        prefiltered: bool = False,
        beam_size: int | None = None,
        vocabulary: SpeechVocabulary | None = None,
        abandon: Callable[[], bool] | None = None,
    ) -> Transcript:
        """Mono float32 samples at 16 kHz (the voice loop's VAD-trimmed utterances), sent as PCM16; ``vocabulary``
        corrects the service's transcript here. ``abandon`` (the voice loop's stale speculation) is checked before
        sending: the service recognizes in one call that cannot be stopped halfway."""
        if abandon is not None and abandon():
            raise RecognitionAbandoned
        pcm = (np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        params: dict[str, Any] = {"pcm16_rate": 16_000, "prefiltered": "true" if prefiltered else "false"}
        if beam_size is not None:
            params["beam_size"] = beam_size
        return apply_vocabulary(self._post(pcm, params), vocabulary)

    def warm_up(self) -> None:
        self._client.request("POST", "/warm_up", json={"stt": True, "engine": None, "voice": None, "tts": False})


class RemoteSynthesizer:
    """A TTS engine of the speech service (``engine`` there: kokoro, espeak, coqui; None = its default)."""

    def __init__(self, client: SpeechClient, engine: str | None) -> None:
        self._client = client
        self.engine = engine
        self.name = engine or "remote"

    def voices(self) -> list[Voice]:
        params = {"engine": self.engine} if self.engine else None
        return [Voice(**voice) for voice in self._client.request("GET", "/voices", params=params)]

    def synthesize(self, text: str, *, voice: str | None = None, speed: float | None = None) -> Iterator[AudioChunk]:
        body = {"text": text, "engine": self.engine, "voice": voice, "speed": speed}
        for line in self._client.stream_lines("/synthesize", body):
            if "error" in line:
                raise speech_error_from(line)
            yield decode_chunk(line)

    def warm_up(self, voice: str | None = None) -> None:
        body = {"stt": False, "engine": self.engine, "voice": voice, "tts": True}
        self._client.request("POST", "/warm_up", json=body)


class RemoteSpeech:
    """The gateway's speech engines when they live in a speech service: same accessors as the local ones."""

    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 120.0) -> None:
        self.client = SpeechClient(url, token=token, timeout_s=timeout_s)
        self._transcriber = RemoteTranscriber(self.client)

    def transcriber(self) -> RemoteTranscriber:
        return self._transcriber

    def synthesizer(self, engine: str | None = None) -> RemoteSynthesizer:
        return RemoteSynthesizer(self.client, engine)

    def available(self) -> dict[str, str | None]:
        """Engine → None when usable there, else the reason; all unusable when the service does not answer."""
        try:
            return dict(self.client.request("GET", "/engines"))
        except SpeechServiceUnavailableError as error:
            return {"remote": error.message}
