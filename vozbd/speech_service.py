"""``vozbd serve --only speech``: STT and TTS as their own HTTP service, so gateways scale apart from them.

Gateways with ``VOZBD_SPEECH_URL`` reach it through ``agent.speech.remote`` (the wire protocol is documented
there). It answers like the gateway's API: errors as ``{"code", "message" (pt-BR), "detail"}`` with the same
statuses, behind the same guard — Host/Origin checks, bearer ``VOZBD_SPEECH_TOKEN`` (required off loopback),
rate limits per token and per IP (``VOZBD_RATE_LIMIT_*``, shared through ``VOZBD_REDIS_URL``) → 429 with
``Retry-After``, and bodies over the limits refused with 413 from ``Content-Length`` or as soon as the streamed
body passes it (audio: ``VOZBD_STT_MAX_MB``; JSON: ``VOZBD_API_MAX_JSON_KB``). ``/health`` and ``/ready`` are
open; ``/ready`` says whether STT/TTS are installed and loaded. Transcription and synthesis run in worker threads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from agent.speech.base import SpeechError, Synthesizer, Transcriber
from agent.speech.remote import API_PREFIX, encode_chunk
from vozbd import __version__
from vozbd.api.deps import client_ip, rate_limit_error
from vozbd.api.errors import ApiError, install_error_handlers
from vozbd.api.guard import SurfaceConfig, SurfaceGuard
from vozbd.api.ratelimit import RateLimitConfig, RateLimiter
from vozbd.auth import ApiKey, AuthPolicy, Surface

if TYPE_CHECKING:
    from agent.speech.engines import SpeechEngines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechBackend:
    """What the service serves: the process's engines (local), built on first use."""

    transcriber: Callable[[], Transcriber]
    synthesizer: Callable[[str | None], Synthesizer]
    available: Callable[[], dict[str, str | None]]
    status: Callable[[], dict[str, Any]] = lambda: {}
    """``speech_status`` of the engines (installed / loaded, per STT and TTS)."""


@dataclass(frozen=True)
class SpeechServiceConfig:
    """The guard and limits of the service, derived from settings by the composition root."""

    token: str | None = None
    max_audio_bytes: int = 25 * 1024 * 1024
    max_json_bytes: int = 256 * 1024
    bind_host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    insecure: bool = False


def speech_status(engines: SpeechEngines) -> dict[str, Any]:
    """``{"stt": {installed, loaded, model}, "tts": {installed, loaded, engine, usable, loaded_engines}}``.

    *installed*: the model files (or the engine's program) are there; *loaded*: the model is in memory now, so
    the next turn does not wait for it. Loads nothing."""
    from agent.speech.stt_whisper import resolve_model

    config = engines.config
    stt: dict[str, Any] = {"model": config.stt_model, "loaded": engines.in_memory().get("stt", False)}
    try:
        resolve_model(config.stt_model, config.models_dir)
        stt["installed"] = True
    except SpeechError as error:
        stt |= {"installed": False, "error": error.message}
    reasons = engines.available()
    in_memory = engines.in_memory()
    loaded = sorted(name.split(":", 1)[1] for name, ready in in_memory.items() if name.startswith("tts:") and ready)
    tts = {
        "engine": config.tts_engine,
        "installed": reasons.get(config.tts_engine, "unknown engine") is None,
        "usable": sorted(name for name, reason in reasons.items() if reason is None),
        "loaded": config.tts_engine in loaded,
        "loaded_engines": loaded,
    }
    return {"stt": stt, "tts": tts}


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


def _surface(path: str) -> Surface | None:
    return "rest" if path == API_PREFIX or path.startswith(API_PREFIX + "/") else None


def _guard_config(config: SpeechServiceConfig) -> SurfaceConfig:
    keys = (ApiKey("speech", config.token),) if config.token else ()
    audio_path = f"{API_PREFIX}/transcribe"
    multipart_slack = 64 * 1024

    def body_limit(path: str) -> int | None:
        return config.max_audio_bytes + multipart_slack if path == audio_path else config.max_json_bytes

    return SurfaceConfig(
        policy=AuthPolicy(rest_keys=keys, insecure=config.insecure),
        bind_host=config.bind_host,
        allowed_hosts=config.allowed_hosts,
        cors_origins=config.cors_origins,
        body_limit=body_limit,
        surface_of=_surface,
        token_hint="VOZBD_SPEECH_TOKEN",
    )


def create_speech_app(backend: SpeechBackend, config: SpeechServiceConfig) -> FastAPI:
    limiter = RateLimiter(config.rate_limits)
    max_bytes = config.max_audio_bytes

    async def rate_limited(request: Request) -> None:
        key = request.scope.get("state", {}).get("api_key")
        verdict = await limiter.check(key=key.name if key else None, ip=client_ip(request))
        if not verdict.allowed:
            raise rate_limit_error(verdict)

    app = FastAPI(title="vozbd speech", version=__version__)
    install_error_handlers(app)

    @app.get("/health")
    @app.head("/health", include_in_schema=False)  # load balancers probe with HEAD (a GET-only route answers 405)
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/ready")
    @app.head("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        status = await run_in_threadpool(backend.status)
        ok = bool(status.get("stt", {}).get("installed")) or bool(status.get("tts", {}).get("installed"))
        return JSONResponse({"ready": ok, **status}, status_code=200 if ok else 503)

    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(rate_limited)])

    @router.post("/transcribe")
    async def transcribe(
        request: Request,
        pcm16_rate: int | None = None,
        prefiltered: bool = False,
        beam_size: Annotated[int | None, Query(ge=1, le=10)] = None,
    ) -> dict[str, Any]:
        too_large = ApiError(
            413,
            "audio_too_large",
            f"Áudio grande demais (máximo {max_bytes / (1024 * 1024):.0f} MB).",
            detail={"limit_bytes": max_bytes},
        )
        body = bytearray()
        async for part in request.stream():  # the guard already refused a larger Content-Length
            body.extend(part)
            if len(body) > max_bytes:
                raise too_large
        if not body:
            raise ApiError(422, "audio_empty", "Nenhum áudio recebido.")
        engine = await run_in_threadpool(backend.transcriber)
        if prefiltered and pcm16_rate == 16_000 and hasattr(engine, "transcribe_samples"):
            from agent.speech.audio import pcm16_to_float

            samples = pcm16_to_float(bytes(body))
            result = await run_in_threadpool(
                lambda: engine.transcribe_samples(samples, prefiltered=True, beam_size=beam_size)
            )
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
                line = {"error": error.code, "code": error.code, "message": error.message, "detail": None}
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

    @router.get("/status")
    async def status() -> dict[str, Any]:
        return await run_in_threadpool(backend.status)

    @router.post("/warm_up")
    async def warm_up(body: WarmUpRequest) -> dict[str, bool]:
        if body.stt:
            await run_in_threadpool(lambda: backend.transcriber().warm_up())
        if body.tts:
            await run_in_threadpool(lambda: backend.synthesizer(body.engine).warm_up(body.voice))
        return {"ok": True}

    app.include_router(router)
    app.add_middleware(SurfaceGuard, config=_guard_config(config))
    return app
