"""A cheap, early cue that the voice has stopped: the energy of 10 ms frames falling far below the speaker's own
recent level (pure numpy, no model).

The Silero VAD needs about 50-90 ms after the last sound (its 32 ms window, its own lag and the next input chunk)
before its probability drops; the energy of the audio drops at once. The voice loop uses this cue only to START a
speculative recognition earlier; whether the utterance has ended is still decided by the VAD and the silence wait.
A drop inside a word (the closure of a "t" or "p") is a false cue: the next loud frame retracts it (``Loud``), and
the loop drops that speculation. The level is the loudest frame of the last ``level_s`` seconds, so a quiet
speaker and a loud one get the same relative threshold; with a noisy microphone whose floor never falls
``drop_db`` below the voice, the cue never fires and the VAD alone starts speculations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME = 160  # samples per energy frame at 16 kHz (10 ms)
_FLOOR_DB = -50.0  # a level below this (dB re full scale) is no voice: no cue


@dataclass(frozen=True)
class Quiet:
    """The last ``quiet_ms`` of the stream were ``drop_db`` below the recent level: the voice may have ended."""

    quiet_ms: float


@dataclass(frozen=True)
class Loud:
    """Sound again after a ``Quiet``: it was a gap inside the speech."""


class QuietCue:
    """Feed mono float32 at 16 kHz in pieces of any size; get ``Quiet`` / ``Loud`` cues (one ``Quiet`` per gap)."""

    def __init__(
        self, *, drop_db: float = 36.0, rise_db: float = 6.0, quiet_frames: int = 1, level_s: float = 3.0
    ) -> None:
        self.drop_db, self.rise_db, self.quiet_frames = drop_db, rise_db, quiet_frames
        self._levels = np.full(max(1, round(level_s * 1000 / 10)), -np.inf)
        self.reset()

    def reset(self) -> None:
        self._levels.fill(-np.inf)
        self._next = 0
        self._pending = np.zeros(0, dtype=np.float32)
        self._quiet = 0  # consecutive quiet frames
        self._armed = True  # loud since the last Quiet

    def feed(self, samples: np.ndarray) -> list[Quiet | Loud]:
        pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        count = pending.size // FRAME
        self._pending = pending[count * FRAME :]
        if not count:
            return []
        frames = pending[: count * FRAME].reshape(count, FRAME).astype(np.float64)
        energies = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
        cues: list[Quiet | Loud] = []
        for energy in energies:
            self._levels[self._next] = energy
            self._next = (self._next + 1) % self._levels.size
            level = float(self._levels.max())
            if level < _FLOOR_DB:
                self._quiet = 0
                continue
            if energy < level - self.drop_db:
                self._quiet += 1
            elif energy >= level - self.drop_db + self.rise_db:
                self._quiet = 0
                if not self._armed:
                    self._armed = True
                    cues.append(Loud())
            if self._armed and self._quiet >= self.quiet_frames:
                self._armed = False
                cues.append(Quiet(quiet_ms=0.0))
        return self._collapse(cues)

    def _collapse(self, cues: list[Quiet | Loud]) -> list[Quiet | Loud]:
        """A gap opened and closed within this piece is no cue at all; a gap still open says how long it is."""
        out: list[Quiet | Loud] = []
        for cue in cues:
            if isinstance(cue, Loud) and out and isinstance(out[-1], Quiet):
                out.pop()
            else:
                out.append(cue)
        if out and isinstance(out[-1], Quiet):
            out[-1] = Quiet(quiet_ms=self._quiet * FRAME / 16 + self._pending.size / 16)
        return out
