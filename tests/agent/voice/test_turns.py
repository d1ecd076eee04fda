"""End-of-utterance detection from speech probabilities (pure logic: no model, no audio decoding)."""

from __future__ import annotations

import numpy as np

from agent.voice.turns import WINDOW_MS, Dropped, Pause, Resume, SpeechStart, TurnConfig, TurnDetector, Utterance
from agent.voice.vad import WINDOW


def _run(detector: TurnDetector, pattern: list[tuple[float, int]]) -> list[tuple[int, object]]:
    """Feed (probability, milliseconds) runs; return (window index, event)."""
    events, index = [], 0
    for prob, ms in pattern:
        for _ in range(round(ms / WINDOW_MS)):
            window = np.full(WINDOW, prob, dtype=np.float32)  # the samples carry the probability, to trace them
            events += [(index, e) for e in detector.feed(window, prob)]
            index += 1
    return events


def test_an_utterance_ends_after_the_silence_and_offers_a_pause_first() -> None:
    detector = TurnDetector(TurnConfig(silence_ms=600, pause_ms=200, preroll_ms=192, tail_ms=192))
    events = _run(detector, [(0.0, 640), (0.9, 1600), (0.0, 1000)])
    kinds = [type(e).__name__ for _, e in events]
    assert kinds == ["SpeechStart", "Pause", "Utterance"]
    start, pause, utt = (e for _, e in events)
    assert isinstance(start, SpeechStart) and abs(start.at_s - 0.64) < 0.01
    assert isinstance(pause, Pause) and isinstance(utt, Utterance)
    assert pause.speech_end_s == utt.speech_end_s  # nothing spoken after the pause: the speculation holds
    assert abs(utt.speech_end_s - 2.24) < 0.04 and not utt.cut
    assert np.array_equal(pause.audio, utt.audio)
    seconds = utt.audio.size / 16_000
    assert 1.6 + 0.19 <= seconds <= 1.6 + 0.2 + 0.2 + 0.04  # speech + preroll + tail
    ends = [i for i, e in events if isinstance(e, Utterance)]
    last_speech = round(2240 / WINDOW_MS) - 1
    assert 600 <= (ends[0] - last_speech) * WINDOW_MS < 600 + WINDOW_MS  # right after the configured silence


def test_speech_after_a_pause_resumes_the_same_utterance() -> None:
    detector = TurnDetector(TurnConfig(silence_ms=600, pause_ms=200))
    events = [e for _, e in _run(detector, [(0.9, 800), (0.0, 320), (0.9, 800), (0.0, 700)])]
    assert [type(e).__name__ for e in events] == ["SpeechStart", "Pause", "Resume", "Pause", "Utterance"]
    first_pause, utt = events[1], events[-1]
    assert isinstance(first_pause, Pause) and isinstance(utt, Utterance)
    assert first_pause.speech_end_s < utt.speech_end_s  # the first speculation is stale
    assert isinstance(events[2], Resume)


def test_clicks_and_short_sounds_are_not_utterances() -> None:
    detector = TurnDetector(TurnConfig(start_ms=96, min_speech_ms=250))
    assert _run(detector, [(0.9, 64), (0.0, 500)]) == []  # shorter than start_ms: never opens
    events = [e for _, e in _run(detector, [(0.9, 160), (0.0, 800)])]
    assert [type(e).__name__ for e in events] == ["SpeechStart", "Dropped"]
    assert isinstance(events[-1], Dropped)


def test_hysteresis_keeps_speech_between_the_thresholds() -> None:
    detector = TurnDetector(TurnConfig(threshold=0.5, neg_threshold=0.35, silence_ms=300))
    events = [e for _, e in _run(detector, [(0.9, 500), (0.4, 1000), (0.1, 400)])]
    utt = events[-1]
    assert isinstance(utt, Utterance) and utt.speech_ms >= 1400  # 0.4 counted as speech after speech


def test_max_utterance_cuts_and_flush_closes() -> None:
    detector = TurnDetector(TurnConfig(max_utterance_s=2.0))
    events = [e for _, e in _run(detector, [(0.9, 3000)])]
    cut = [e for e in events if isinstance(e, Utterance)]
    assert cut and cut[0].cut
    detector = TurnDetector()
    _run(detector, [(0.9, 700)])
    flushed = detector.flush()
    assert isinstance(flushed, Utterance) and detector.flush() is None
