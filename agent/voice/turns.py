"""End-of-utterance detection on the server, from per-window speech probabilities (pure logic, no model).

An utterance starts after ``start_ms`` of speech, is offered for speculative recognition after ``pause_ms`` of
silence (a ``Pause``; speech again is a ``Resume``, and the next silence another ``Pause``), ends after
``silence_ms`` of silence (or at ``max_utterance_s``), and is dropped when it held less than ``min_speech_ms`` of
speech. Audio is kept from ``preroll_ms`` before the start, so the first syllable is not cut.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from agent.voice.config import TurnConfig
from agent.voice.vad import VAD_RATE, WINDOW

WINDOW_MS = WINDOW * 1000 / VAD_RATE  # 32 ms


@dataclass(frozen=True)
class SpeechStart:
    at_s: float  # stream time of the first speech window


@dataclass(frozen=True)
class Pause:
    """A short pause: ``audio`` is the utterance so far, worth recognizing speculatively."""

    audio: np.ndarray
    speech_end_s: float


@dataclass(frozen=True)
class Resume:
    """Speech again after a ``Pause``: the speculative result is stale."""


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray
    start_s: float
    speech_end_s: float  # stream time of the end of the last speech window
    speech_ms: float
    cut: bool = False  # ended by max_utterance_s, not by silence


@dataclass(frozen=True)
class Dropped:
    speech_ms: float


TurnEvent = SpeechStart | Pause | Resume | Utterance | Dropped


class TurnDetector:
    """Feed ``(window samples, probability)`` pairs in stream order; get turn events back."""

    def __init__(self, config: TurnConfig = TurnConfig()) -> None:
        self.config = config
        self._preroll: deque[np.ndarray] = deque(maxlen=max(1, round(config.preroll_ms / WINDOW_MS)))
        self.reset()

    def reset(self) -> None:
        self._preroll.clear()
        self._windows: list[np.ndarray] = []
        self._active = False
        self._speaking = False  # hysteresis state
        self._run_ms = 0.0  # consecutive speech before the utterance opened
        self._silence_ms = 0.0
        self._speech_ms = 0.0
        self._paused = False
        self._start_s = 0.0
        self._speech_end_s = 0.0
        self._tail_windows = 0
        self._time_s = 0.0

    @property
    def active(self) -> bool:
        """An utterance is open (speech started, end not reached)."""
        return self._active

    @property
    def current_speech_ms(self) -> float:
        return self._speech_ms if self._active else 0.0

    @property
    def paused(self) -> bool:
        """A ``Pause`` was given and no speech has followed it yet."""
        return self._active and self._paused

    def audio_so_far(self) -> np.ndarray:
        """The open utterance's audio up to the last window fed (trailing silence trimmed to ``tail_ms``)."""
        return self._audio() if self._active else np.zeros(0, dtype=np.float32)

    def _is_speech(self, prob: float) -> bool:
        if prob >= self.config.threshold:
            self._speaking = True
        elif prob < self.config.neg_threshold:
            self._speaking = False
        return self._speaking

    def _audio(self) -> np.ndarray:
        keep = len(self._windows) - max(0, self._trailing_windows() - self._tail_windows)
        return np.concatenate(self._windows[:keep]) if keep > 0 else np.zeros(0, dtype=np.float32)

    def _trailing_windows(self) -> int:
        return round(self._silence_ms / WINDOW_MS)

    def feed(self, window: np.ndarray, prob: float) -> list[TurnEvent]:
        cfg = self.config
        self._time_s += WINDOW_MS / 1000
        speech = self._is_speech(prob)
        if not self._active:
            self._preroll.append(window)
            self._run_ms = self._run_ms + WINDOW_MS if speech else 0.0
            if self._run_ms < cfg.start_ms:
                return []
            self._active = True
            self._windows = list(self._preroll)
            self._speech_ms = self._run_ms
            self._start_s = self._time_s - self._run_ms / 1000
            self._speech_end_s = self._time_s
            self._silence_ms = 0.0
            self._paused = False
            self._tail_windows = round(cfg.tail_ms / WINDOW_MS)
            self._preroll.clear()
            return [SpeechStart(at_s=round(self._start_s, 3))]
        self._windows.append(window)
        events: list[TurnEvent] = []
        if speech:
            self._speech_ms += WINDOW_MS
            self._silence_ms = 0.0
            self._speech_end_s = self._time_s
            if self._paused:
                self._paused = False
                events.append(Resume())
        else:
            self._silence_ms += WINDOW_MS
            if not self._paused and self._silence_ms >= cfg.pause_ms and self._speech_ms >= cfg.min_speech_ms:
                self._paused = True
                events.append(Pause(audio=self._audio(), speech_end_s=round(self._speech_end_s, 3)))
        too_long = (self._time_s - self._start_s) >= cfg.max_utterance_s
        if self._silence_ms >= cfg.silence_ms or too_long:
            events.append(self._close(cut=too_long and self._silence_ms < cfg.silence_ms))
        return events

    def _close(self, *, cut: bool) -> Utterance | Dropped:
        speech_ms = self._speech_ms
        if speech_ms < self.config.min_speech_ms:
            event: Utterance | Dropped = Dropped(speech_ms=speech_ms)
        else:
            event = Utterance(
                audio=self._audio(),
                start_s=round(self._start_s, 3),
                speech_end_s=round(self._speech_end_s, 3),
                speech_ms=speech_ms,
                cut=cut,
            )
        self._active = False
        self._speaking = False
        self._run_ms = 0.0
        self._windows = []
        self._speech_ms = 0.0
        self._silence_ms = 0.0
        self._paused = False
        return event

    def flush(self) -> Utterance | Dropped | None:
        """End the open utterance now (push-to-talk stop, stream closed); None when none is open."""
        return self._close(cut=False) if self._active else None
