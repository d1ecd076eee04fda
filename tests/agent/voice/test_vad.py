"""Streaming Silero VAD (the ONNX model inside faster-whisper) on real synthesized speech."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from agent.speech.audio import STT_RATE, read_audio
from agent.voice.turns import TurnConfig, TurnDetector, Utterance
from agent.voice.vad import WINDOW, StreamingVad


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    wav = tmp_path_factory.mktemp("vad") / "q.wav"
    subprocess.run(
        ["espeak-ng", "-v", "pt-br", "-w", str(wav), "quantos pedidos atrasados temos em São Paulo"], check=True
    )
    samples, _ = read_audio(wav)
    return samples


def test_streaming_probabilities_equal_the_whole_file(question: np.ndarray) -> None:
    from faster_whisper.vad import get_vad_model

    audio = np.concatenate([np.zeros(STT_RATE // 2, np.float32), question, np.zeros(STT_RATE, np.float32)])
    audio = audio[: audio.size // WINDOW * WINDOW]
    whole = get_vad_model()(audio).reshape(-1)
    vad = StreamingVad()
    rng = np.random.default_rng(1)
    streamed, pos = [], 0
    while pos < audio.size:  # uneven pieces, like network chunks
        step = int(rng.integers(100, 3000))
        streamed += [p for _, p in vad.feed(audio[pos : pos + step])]
        pos += step
    assert np.allclose(streamed, whole, atol=1e-5)


def test_detects_the_spoken_question_and_its_end(question: np.ndarray) -> None:
    lead, silence = np.zeros(STT_RATE // 2, np.float32), np.zeros(STT_RATE, np.float32)
    audio = np.concatenate([lead, question, silence])
    voiced = np.flatnonzero(np.abs(question) > 0.01)
    true_end = (lead.size + voiced[-1]) / STT_RATE
    vad, detector = StreamingVad(), TurnDetector(TurnConfig(silence_ms=600))
    utterances = []
    for window, prob in vad.feed(audio):
        utterances += [e for e in detector.feed(window, prob) if isinstance(e, Utterance)]
    assert len(utterances) == 1
    assert abs(utterances[0].speech_end_s - true_end) < 0.25
    assert abs(utterances[0].start_s - (lead.size + voiced[0]) / STT_RATE) < 0.25


def test_silence_and_noise_open_no_utterance() -> None:
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(STT_RATE * 3) * 0.003).astype(np.float32)
    vad, detector = StreamingVad(), TurnDetector()
    events = [e for w, p in vad.feed(noise) for e in detector.feed(w, p)]
    assert events == []
