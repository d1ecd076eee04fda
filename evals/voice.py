"""Voice-mode questions: the project's TTS speaks the question, the project's STT transcribes it back."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from evals.runfiles import ms_since

if TYPE_CHECKING:
    from agent.speech.engines import SpeechEngines


class SpeechRoundTrip:
    """TTS → STT round trip for voice-mode questions (the process's speech engines)."""

    def __init__(self, engines: SpeechEngines):
        self.synthesizer = engines.synthesizer()
        self.transcriber = engines.transcriber()
        self.lock = asyncio.Lock()  # speech models use all cores; one clip at a time

    def _round_trip(self, text: str) -> tuple[str, float, float]:
        from agent.speech.audio import to_wav_bytes
        from agent.speech.textprep import prepare_for_speech

        start = time.perf_counter()
        chunks = list(self.synthesizer.synthesize(prepare_for_speech(text)))
        tts_ms = ms_since(start)
        start = time.perf_counter()
        transcript = self.transcriber.transcribe(to_wav_bytes(chunks)).text.strip()
        return transcript, tts_ms, ms_since(start)

    async def round_trip(self, text: str) -> tuple[str, float, float]:
        async with self.lock:
            return await asyncio.to_thread(self._round_trip, text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    from agent.speech.metrics import wer

    return round(wer(reference, hypothesis), 4)
