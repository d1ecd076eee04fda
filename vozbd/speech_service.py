"""``vozbd serve --only speech``: STT and TTS as their own HTTP service, so gateways scale apart from them.

Gateways with ``VOZBD_SPEECH_URL`` reach it through ``agent.speech.remote`` (the wire protocol is documented
there). Bearer token ``VOZBD_SPEECH_TOKEN`` when set (required off loopback). Audio bodies are capped at
``VOZBD_STT_MAX_MB`` (413 before reading more); transcription and synthesis run in worker threads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from agent.speech.base import SpeechError, Synthesizer, Transcriber
from agent.speech.remote import API_PREFIX, encode_chunk
from tools.errors import CodedError
from vozbd import __version__
from vozbd.auth import bearer_matches

log = logging.getLogger(__name__)

_STATUS_BY_CODE = {"audio_invalid": 415, "audio_too_large": 413, "no_speech": 422, "model_missing": 503}


@dataclass(frozen=True)
class SpeechBackend:
    """What the service serves: the process's engines (local), built on first use."""

    transcriber: Callable[[], Transcriber]
    synthesizer: Callable[[str | None], Synthesizer]
    available: Callable[[], dict[str, str | None]]


class SynthesizeRequest(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    engine: str | None = None
    voice: str | None = None
    speed: float | None = Field(None, ge=0.5, le=2.0)


class WarmUpRequest(BaseModel):
    stt: bool = True
    tts: bool = True
    engine: str | None = None
    voice: str | None = None


class _Refused(CodedError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, code=code)
        self.status = status


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message})


def create_speech_app(backend: SpeechBackend, *, token: str | None, max_bytes: int) -> FastAPI:
    expected = token.encode() if token else b""

    def guard(request: Request) -> None:
        if expected and not bearer_matches(request.headers.get("authorization", "").encode(), expected):
            raise _Refused(401, "unauthorized", "Token ausente ou inválido: envie Authorization: Bearer <token>.")

    app = FastAPI(title="vozbd speech", version=__version__)

    @app.exception_handler(CodedError)
    async def _coded(_: Request, error: CodedError) -> JSONResponse:
        status = error.status if isinstance(error, _Refused) else _STATUS_BY_CODE.get(error.code, 400)
        if isinstance(error, SpeechError) and status >= 500:
            log.warning("speech %s: %s", error.code, error.message)
        return _error(status, error.code, error.message)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(guard)])

    @router.post("/transcribe")
    async def transcribe(request: Request, pcm16_rate: int | None = None, prefiltered: bool = False) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise _Refused(413, "audio_too_large", f"Áudio grande demais (máximo {max_bytes // (1024 * 1024)} MB).")
        body = bytearray()
        async for part in request.stream():
            body.extend(part)
            if len(body) > max_bytes:
                raise _Refused(413, "audio_too_large", f"Áudio grande demais (máximo {max_bytes // (1024 * 1024)} MB).")
        if not body:
            raise _Refused(422, "audio_invalid", "Nenhum áudio recebido.")
        engine = await run_in_threadpool(backend.transcriber)
        if prefiltered and pcm16_rate == 16_000 and hasattr(engine, "transcribe_samples"):
            from agent.speech.audio import pcm16_to_float

            samples = pcm16_to_float(bytes(body))
            result = await run_in_threadpool(lambda: engine.transcribe_samples(samples, prefiltered=True))
        else:
            result = await run_in_threadpool(engine.transcribe, bytes(body), pcm16_rate=pcm16_rate)
        return {
            "text": result.text,
            "language": result.language,
            "confidence": result.confidence,
            "segments": [
                {"start": s.start, "end": s.end, "text": s.text, "avg_logprob": s.avg_logprob} for s in result.segments
            ],
            "duration_s": result.duration_s,
            "processing_s": result.processing_s,
        }

    @router.post("/synthesize")
    async def synthesize(body: SynthesizeRequest) -> StreamingResponse:
        engine = await run_in_threadpool(backend.synthesizer, body.engine)  # unknown/missing engine: error, no stream
        chunks = engine.synthesize(body.text, voice=body.voice, speed=body.speed)

        def lines() -> Iterator[bytes]:
            try:
                for chunk in chunks:
                    yield encode_chunk(chunk)
            except SpeechError as error:  # the 200 header is gone: the failure travels as the last line
                log.warning("speech synthesis failed mid-stream: %s", error.code)
                line = {"error": error.code, "message": error.message}
                yield json.dumps(line, ensure_ascii=False).encode() + b"\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @router.get("/voices")
    async def voices(engine: str | None = None) -> list[dict[str, Any]]:
        synthesizer = await run_in_threadpool(backend.synthesizer, engine)
        found = await run_in_threadpool(synthesizer.voices)
        return [{"id": v.id, "name": v.name, "language": v.language, "gender": v.gender} for v in found]

    @router.get("/engines")
    async def engines() -> dict[str, str | None]:
        return await run_in_threadpool(backend.available)

    @router.post("/warm_up")
    async def warm_up(body: WarmUpRequest) -> dict[str, bool]:
        if body.stt:
            await run_in_threadpool(lambda: backend.transcriber().warm_up())
        if body.tts:
            await run_in_threadpool(lambda: backend.synthesizer(body.engine).warm_up(body.voice))
        return {"ok": True}

    app.include_router(router)
    return app
