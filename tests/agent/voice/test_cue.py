"""The energy cue that starts speculative recognition before the VAD notices a pause (pure numpy)."""

from __future__ import annotations

import numpy as np

from agent.voice.cue import Loud, Quiet, QuietCue

RATE = 16_000


def tone(seconds: float, amplitude: float = 0.3, hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise(seconds: float, amplitude: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * amplitude).astype(np.float32)


def fed(cue: QuietCue, audio: np.ndarray, chunk: int = 640) -> list[tuple[float, Quiet | Loud]]:
    """(stream seconds at the end of the chunk that gave it, cue) for 40 ms chunks."""
    out = []
    for start in range(0, audio.size, chunk):
        end = min(start + chunk, audio.size)
        out += [(end / RATE, c) for c in cue.feed(audio[start:end])]
    return out


def test_the_end_of_the_voice_is_cued_within_one_chunk_and_only_once() -> None:
    audio = np.concatenate([noise(0.3, 1e-4), tone(1.0), noise(1.0, 1e-4, seed=1)])
    cues = fed(QuietCue(), audio)
    assert len(cues) == 1 and isinstance(cues[0][1], Quiet)
    at, quiet = cues[0]
    assert 1.3 < at <= 1.3 + 0.04  # the chunk in which the voice stopped, or the next one
    assert 0 < quiet.quiet_ms <= 40


def test_sound_after_a_cued_gap_retracts_it() -> None:
    audio = np.concatenate([tone(0.5), np.zeros(int(0.1 * RATE), np.float32), tone(0.5), np.zeros(RATE, np.float32)])
    kinds = [type(c).__name__ for _, c in fed(QuietCue(), audio)]
    assert kinds == ["Quiet", "Loud", "Quiet"]


def test_a_gap_opened_and_closed_inside_one_piece_is_no_cue() -> None:
    audio = np.concatenate([tone(0.5), np.zeros(320, np.float32), tone(0.5)])  # 20 ms gap
    assert fed(QuietCue(), audio, chunk=audio.size) == []


def test_a_noise_floor_close_to_the_voice_never_cues() -> None:
    audio = np.concatenate([tone(1.0, amplitude=0.05) + noise(1.0, 0.005), noise(1.0, 0.005, seed=2)])
    assert fed(QuietCue(drop_db=36), audio) == []  # the floor is only ~20 dB below the voice


def test_the_level_is_the_speakers_own() -> None:
    """A quiet speaker's end is cued like a loud one's (the threshold follows the voice's level)."""
    for amplitude in (0.5, 0.02):
        audio = np.concatenate([tone(0.8, amplitude), noise(0.5, amplitude * 1e-3)])
        cues = fed(QuietCue(), audio)
        assert [type(c) for _, c in cues] == [Quiet] and cues[0][0] <= 0.84


def test_digital_silence_alone_never_cues() -> None:
    assert fed(QuietCue(), np.zeros(2 * RATE, np.float32)) == []
