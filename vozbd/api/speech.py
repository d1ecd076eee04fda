"""``POST /api/v1/transcribe`` (multipart audio → text) and ``POST /api/v1/speak`` (text → WAV, streamed).

Upload size is capped before the body is read (``Content-Length``) and while it streams (the guard's counting
``receive``), so a 2 GB upload is refused after the limit, not after buffering; duration is capped by the
decoder (``VOZBD_STT_MAX_SECONDS``). ``/speak`` sends a WAV header with open-ended sizes, then PCM16 as each
clause is synthesized, so playback can start at the first clause.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from vozbd.api.deps import Services, rate_limited
from vozbd.api.errors import ApiError
from vozbd.api.schemas import ERROR_RESPONSES, SpeakIn, TranscriptOut, TranscriptSegment

router = APIRouter(prefix="/api/v1", tags=["speech"], dependencies=[Depends(rate_limited)], responses=ERROR_RESPONSES)

# video/*: phones label their recordings by container (Android's .3gp is video/3gpp, .mp4 video/mp4, iPhone's .mov
# video/quicktime); only the audio stream is decoded, and a file without one is refused (415 audio_invalid).
AUDIO_TYPES = ("audio/", "video/", "application/octet-stream", "application/ogg")


def _confidence(avg_logprobs: list[float], fallback: float) -> float:
    if not avg_logprobs:
        return round(fallback, 3)
    return round(min(1.0, max(0.0, math.exp(sum(avg_logprobs) / len(avg_logprobs)))), 3)


@router.post("/transcribe", summary="Speech to text (pt-BR): WAV, MP3, OGG/Opus, WebM, M4A, FLAC")
async def transcribe(
    services: Services,
    audio: Annotated[UploadFile, File(description="The recording (≤ 25 MB, ≤ 5 min by default).")],
    connection: Annotated[
        str | None,
        Form(
            description="A connection name: its stored names (cities, products, customers...) are recognised "
            "exactly (the transcript is corrected towards them; `heard` keeps the raw text).",
            max_length=200,
        ),
    ] = None,
) -> TranscriptOut:
    content_type = (audio.content_type or "application/octet-stream").lower()
    if not content_type.startswith(AUDIO_TYPES):
        raise ApiError(415, "unsupported_media_type", f"Tipo '{content_type}' não é áudio: envie WAV, MP3, OGG...")
    limit = services.limits.audio_max_bytes
    data = await audio.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "payload_too_large", f"Áudio maior que {limit / 1048576:.0f} MB.")
    vocabulary = None
    if connection:  # unknown name → 404, unreachable database → 503 (mapped once in vozbd.api.errors)
        from agent.speech.db_vocabulary import connection_vocabulary

        vocabulary = await run_in_threadpool(connection_vocabulary, services.tool_ctx, connection)
    transcript = await run_in_threadpool(partial(services.transcriber().transcribe, data, vocabulary=vocabulary))
    services.metrics.turn_stage.labels("stt", "api").observe(transcript.processing_s)
    return TranscriptOut(
        text=transcript.text,
        language=transcript.language,
        confidence=_confidence([s.avg_logprob for s in transcript.segments], transcript.confidence),
        duration_s=round(transcript.duration_s, 3),
        processing_s=round(transcript.processing_s, 3),
        segments=[TranscriptSegment(start=s.start, end=s.end, text=s.text) for s in transcript.segments],
        heard=transcript.heard,
    )


def _wav_header(rate: int) -> bytes:
    """A mono PCM16 WAV header whose sizes say "until the end of the stream" (0xFFFFFFFF)."""
    unknown = 0xFFFFFFFF
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16)
    return b"RIFF" + struct.pack("<I", unknown) + b"WAVE" + fmt + b"data" + struct.pack("<I", unknown)


@router.post(
    "/speak",
    summary="Text to speech (pt-BR), streamed as audio/wav while it is synthesized",
    response_class=StreamingResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "WAV (mono PCM16), streamed."}},
)
async def speak(body: SpeakIn, services: Services) -> StreamingResponse:
    from agent.speech.audio import pcm16_bytes
    from agent.speech.speak import SpeakOptions, aspeak

    started = time.perf_counter()
    synthesizer = await run_in_threadpool(services.synthesizer, body.engine)
    options = SpeakOptions(voice=body.voice, speed=body.speed, strict_voice=body.voice is not None)
    chunks = aspeak(synthesizer, body.text, options).__aiter__()
    try:  # the first clause before answering: a bad voice or engine failure is still a clean 4xx/5xx
        first = await anext(chunks)
    except StopAsyncIteration:
        raise ApiError(422, "nothing_to_say", "Não há texto para falar (depois de remover markdown e SQL).") from None
    services.metrics.turn_stage.labels("tts_first_audio", "api").observe(time.perf_counter() - started)

    async def stream() -> AsyncIterator[bytes]:
        yield _wav_header(first.sample_rate) + pcm16_bytes(first.samples)
        async for chunk in chunks:
            yield pcm16_bytes(chunk.samples)

    return StreamingResponse(stream(), media_type="audio/wav", headers={"X-Voice-Engine": synthesizer.name})
