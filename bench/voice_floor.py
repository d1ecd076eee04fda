"""Stand-in speech engines for ``bench/voice_loop.py --floor``: the loop's structural floor, hands-free vs push-to-talk.

A recognizer and a synthesizer that take a fixed time each (a sleep, so they use no CPU and never compete with
anything) and always give the same result: the question's own text, and an audible tone for every clause. With
them the two modes do exactly the same work after the end of speech is known, so what is left of the difference
between them is what the loop's structure costs by itself: hands-free learns that the voice ended only when the
microphone chunk holding that end has arrived (plus one 10 ms frame of the quiet cue), while push-to-talk is timed
from the stop click, which comes with all the audio already in hand. That difference is the floor under
"hands-free p50 no slower than push-to-talk p50": real engines can only close it by being faster in hands-free
than the very same engines are in push-to-talk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from agent.speech.base import AudioChunk, RecognitionAbandoned, Segment, Transcript, Voice

TONE_RATE = 24_000


class FixedTimeRecognizer:
    """A ``Recognize`` that waits ``seconds`` and hears ``text()`` (the question being asked). Like Whisper's, a
    recognition no longer wanted (``abandon``) stops after the "encoder" part (``encoder_share`` of the time)."""

    def __init__(self, seconds: float, text: Callable[[], str], *, encoder_share: float = 0.35) -> None:
        self.seconds, self._text, self.encoder_share = seconds, text, encoder_share

    def __call__(self, samples: np.ndarray, *, abandon: Callable[[], bool] | None = None) -> Transcript:
        started = time.perf_counter()
        time.sleep(self.seconds * self.encoder_share)
        if abandon is not None and abandon():
            raise RecognitionAbandoned
        time.sleep(self.seconds * (1 - self.encoder_share))
        text = self._text()
        duration = round(samples.size / 16_000, 3)
        return Transcript(
            text=text,
            language="pt",
            confidence=1.0,
            segments=(Segment(0.0, duration, text, 0.0),),
            duration_s=duration,
            processing_s=round(time.perf_counter() - started, 3),
        )


class FixedTimeSynthesizer:
    """A ``Synthesizer`` that takes ``seconds`` per clause and speaks it as 0.3 s of a 440 Hz tone."""

    name = "fixed-time"
    default_voice = "tone"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        t = np.arange(round(0.3 * TONE_RATE), dtype=np.float32) / TONE_RATE
        self._tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)

    def voices(self) -> list[Voice]:
        return [Voice("tone", "Tone")]

    def warm_up(self, voice: str | None = None) -> None:
        return None

    def synthesize_clause(self, text: str, *, voice: str | None = None, speed: float | None = None) -> AudioChunk:
        time.sleep(self.seconds)
        return AudioChunk(samples=self._tone.copy(), sample_rate=TONE_RATE, text=text)

    def synthesize(self, text: str, *, voice: str | None = None, speed: float | None = None) -> Iterator[AudioChunk]:
        yield self.synthesize_clause(text, voice=voice, speed=speed)
