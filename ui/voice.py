"""Microphone input (PCM16 chunks → one buffer) and spoken output (text → WAV clips, first sentence first)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from ui import runtime
from ui.prefs import Prefs

log = logging.getLogger("vozbd.ui")

MIN_AUDIO_S = 0.3


@dataclass
class PcmBuffer:
    """Raw PCM16 mono chunks of one recording, ordered by the browser's ``elapsedTime``.

    Chainlit handles each chunk in its own task, so order is restored by timestamp (ties keep arrival order).
    """

    sample_rate: int
    chunks: list[tuple[float, int, bytes]] = field(default_factory=list)
    ended_at: float | None = None  # perf_counter() when the user stopped recording

    def add(self, elapsed_ms: float, data: bytes) -> None:
        self.chunks.append((float(elapsed_ms), len(self.chunks), bytes(data)))

    def pcm(self) -> bytes:
        return b"".join(data for _, _, data in sorted(self.chunks))

    @property
    def duration_s(self) -> float:
        return sum(len(d) for _, _, d in self.chunks) / 2 / self.sample_rate


def wav_bytes(samples: Any, sample_rate: int) -> bytes:
    from agent.speech.audio import to_wav_bytes

    return to_wav_bytes(samples, sample_rate)


@dataclass
class Clip:
    wav: bytes
    text: str
    seconds: float  # audio duration


def _clips(text: str, prefs: Prefs) -> Iterator[Clip]:
    """Synthesize ``text`` (agent.speech.speak): the first clause alone (to start playing early), then the rest."""
    import numpy as np

    from agent.speech.speak import SpeakOptions
    from agent.speech.speak import speak as speak_text

    engine = runtime.synthesizer(prefs.tts_engine)
    log.info("speaking %d chars with engine=%s voice=%s speed=%.2f", len(text), engine.name, prefs.voice, prefs.speed)
    pending: list[Any] = []
    pending_text: list[str] = []
    rate = 24000
    first = True
    for chunk in speak_text(engine, text, SpeakOptions(voice=prefs.voice, speed=prefs.speed)):
        rate = chunk.sample_rate
        if first:
            first = False
            yield Clip(wav_bytes(chunk.samples, rate), chunk.text, len(chunk.samples) / rate)
            continue
        pending.append(chunk.samples)
        pending_text.append(chunk.text)
    if pending:
        samples = np.concatenate(pending)
        yield Clip(wav_bytes(samples, rate), " ".join(pending_text), len(samples) / rate)


async def speak(text: str, prefs: Prefs) -> AsyncIterator[Clip]:
    """Async wrapper of :func:`_clips`: synthesis runs in a worker thread, clips are yielded as they are ready."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Clip | BaseException | None] = asyncio.Queue()

    def work() -> None:
        try:
            for clip in _clips(text, prefs):
                loop.call_soon_threadsafe(queue.put_nowait, clip)
        except BaseException as error:  # handed to the consumer, which maps it
            loop.call_soon_threadsafe(queue.put_nowait, error)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    started = time.perf_counter()
    worker = loop.run_in_executor(None, work)
    while (item := await queue.get()) is not None:
        if isinstance(item, BaseException):
            await worker
            raise item
        log.debug("tts clip ready after %.3fs (%.1fs of audio)", time.perf_counter() - started, item.seconds)
        yield item
    await worker
