"""The acoustic echo check on real synthesized speech (espeak-ng) through a simulated room (``tests.agent.voice.mic``):
our own answer heard back is echo at any delay up to 800 ms, 20 dB quieter, reverberated and with pink noise; the same
words in another voice or at another speed are not, nor is a user's question spoken over our answer's echo."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from agent.speech.audio import pcm16_bytes, resample, wav_to_samples
from agent.voice.config import VoiceLoopConfig
from agent.voice.echo_acoustic import RATE, EchoReference
from tests.agent.voice import mic

THRESHOLD = VoiceLoopConfig().echo_similarity
BARGE_IN = VoiceLoopConfig().echo_barge_in_similarity
OUT_RATE = 24_000
PLAY_AT_S = 1.0
ANSWER = "Encontrei 32 pedidos em São Paulo no mês passado."


def espeak(text: str, voice: str = "pt-br+f3", wpm: int = 165) -> np.ndarray:
    """``text`` at OUT_RATE (the loop's espeak voice is pt-br+f3 at 165 words per minute)."""
    run = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", "--stdin"], input=text.encode(), capture_output=True
    )
    samples, rate = wav_to_samples(run.stdout)
    return resample(samples, rate, OUT_RATE)


def played(answer: np.ndarray) -> EchoReference:
    reference = EchoReference()
    reference.add(pcm16_bytes(answer), OUT_RATE, PLAY_AT_S)
    return reference


def heard(sound: np.ndarray, delay_s: float, *, rt60_s: float = 0.4, seed: int = 0) -> np.ndarray:
    """The mic stream from time 0 when ``sound`` plays at PLAY_AT_S: ``delay_s`` late, -20 dB, room, pink noise."""
    audio = resample(sound, OUT_RATE, RATE) * mic.db_to_amp(-20)
    lead = np.zeros(int((PLAY_AT_S + delay_s) * RATE), np.float32)
    return mic.room(
        np.concatenate([lead, audio, np.zeros(RATE // 2, np.float32)]), RATE, rt60_s=rt60_s, snr_db=20, seed=seed
    )


def utterance(stream: np.ndarray, start_s: float, end_s: float) -> tuple[np.ndarray, float]:
    return stream[int(start_s * RATE) : int(end_s * RATE)], start_s


@pytest.fixture(scope="module")
def answer() -> np.ndarray:
    return espeak(ANSWER)


@pytest.mark.parametrize("delay_s", [0.0, 0.3, 0.8])
@pytest.mark.parametrize("rt60_s", [0.2, 0.5])
def test_our_answer_through_a_room_is_echo(answer: np.ndarray, delay_s: float, rt60_s: float) -> None:
    stream = heard(answer, delay_s, rt60_s=rt60_s, seed=int(delay_s * 10))
    seconds = answer.size / OUT_RATE
    whole = utterance(stream, PLAY_AT_S + delay_s, PLAY_AT_S + delay_s + seconds + 0.2)
    assert played(answer).similarity(*whole) >= THRESHOLD
    late = utterance(stream, PLAY_AT_S + delay_s + seconds / 2, PLAY_AT_S + delay_s + seconds + 0.2)
    assert played(answer).similarity(*late) >= THRESHOLD  # an utterance that starts halfway through the answer
    first = utterance(stream, PLAY_AT_S + delay_s, PLAY_AT_S + delay_s + 0.6)
    assert played(answer).similarity(*first) >= BARGE_IN  # what barge-in checks after 300 ms of speech


@pytest.mark.parametrize(("voice", "wpm"), [("pt-br", 165), ("pt-br+m3", 165), ("pt-br+f3", 140)])
def test_the_same_words_in_another_voice_are_not_echo(answer: np.ndarray, voice: str, wpm: int) -> None:
    other = espeak(ANSWER, voice, wpm)
    assert not np.array_equal(other[: answer.size], answer[: other.size])
    for delay_s in (0.0, 0.4):
        stream = heard(other, delay_s)
        whole = utterance(stream, PLAY_AT_S + delay_s, PLAY_AT_S + delay_s + other.size / OUT_RATE + 0.2)
        assert played(answer).similarity(*whole) < THRESHOLD


@pytest.mark.parametrize("louder_db", [10, 20])
def test_a_question_spoken_over_our_answer_is_not_echo(answer: np.ndarray, louder_db: float) -> None:
    delay_s, starts_s = 0.3, 0.5  # the user starts half a second into the echo
    stream = heard(answer, delay_s)
    question = resample(espeak("Espera, quantos pedidos foram feitos em maio?", "pt-br", 150), OUT_RATE, RATE)
    question = question * mic.active_rms(stream, RATE) * mic.db_to_amp(louder_db) / mic.active_rms(question, RATE)
    at = int((PLAY_AT_S + delay_s + starts_s) * RATE)
    mixed = np.zeros(max(stream.size, at + question.size), np.float32)
    mixed[: stream.size] += stream
    mixed[at : at + question.size] += question
    whole = utterance(mixed, PLAY_AT_S + delay_s, mixed.size / RATE)  # the echo's start, then the question
    assert played(answer).similarity(*whole) < THRESHOLD
    barge = utterance(mixed, PLAY_AT_S + delay_s + starts_s - 0.2, PLAY_AT_S + delay_s + starts_s + 0.4)
    assert played(answer).similarity(*barge) < BARGE_IN


def test_nothing_played_then_nothing_is_echo(answer: np.ndarray) -> None:
    stream = heard(answer, 0.2)
    reference = played(answer)
    after = PLAY_AT_S + answer.size / OUT_RATE + reference.max_delay_s + 0.1
    assert reference.similarity(np.concatenate([stream, stream])[int(after * RATE) :][:RATE], after) == 0.0
    assert EchoReference().similarity(stream, 0.0) == 0.0


def test_an_interrupted_answer_is_no_reference_after_the_stop(answer: np.ndarray) -> None:
    stream = heard(answer, 0.0)
    reference = played(answer)
    reference.clear_after(PLAY_AT_S + 0.5)  # the client stopped the answer here
    late = utterance(stream, PLAY_AT_S + 1.7, PLAY_AT_S + answer.size / OUT_RATE)
    assert reference.similarity(*late) == 0.0
