"""The hands-free loop on microphone-like audio (``tests.agent.voice.mic``): a noise floor instead of digital silence,
hum, DC offset, reverb, whispered and clipped speech, 44.1/48 kHz stereo files, coughs and breaths.

Real VAD, Whisper and agent (scripted model, demo DB); Kokoro speaks the questions (two voices). The loop runs with
its defaults (hands-free, speculative recognition and answer, quiet cue). The audio is fed faster than real time,
then the room's noise floor keeps streaming (a live microphone never sends zeros) until the answers are out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest

from agent.speech.audio import pcm16_bytes, read_audio, resample
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer
from agent.speech.speak import clauses_of
from agent.voice.events import AgentOut, FinalTranscript, SpeechStarted, TurnDone
from agent.voice.loop import VoiceLoop
from tests.agent.voice import mic
from tests.agent.voice.test_loop import Events, make_loop
from tests.ui.conftest import real_models_dir

pytestmark = pytest.mark.slow

RATE = 24_000
Q1 = "Quantos clientes temos em Campinas?"
Q2 = "E quantos pedidos foram feitos em maio?"
HALF1, HALF2 = "Quantos pedidos foram feitos", "em maio na cidade de Campinas?"


@pytest.fixture(scope="module")
def speech() -> SpeechConfig:
    return SpeechConfig(models_dir=real_models_dir(), stt_threads=2)


@pytest.fixture(scope="module")
def say(speech: SpeechConfig) -> Callable[[str, str], np.ndarray]:
    kokoro = SpeechEngines(speech).synthesizer("kokoro")
    cache: dict[tuple[str, str], np.ndarray] = {}

    def spoken(text: str, voice: str = "pf_dora") -> np.ndarray:
        """``text`` spoken by Kokoro at RATE, without leading or trailing silence."""
        if (text, voice) not in cache:
            chunks = [kokoro.synthesize_clause(c, voice=voice) for c in clauses_of(text)]  # type: ignore[attr-defined]  # a KokoroSynthesizer
            samples = resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, RATE)
            loud = np.flatnonzero(np.abs(samples) > 0.003)
            cache[(text, voice)] = samples[max(0, loud[0] - 240) : loud[-1] + 240]
        return cache[(text, voice)]

    return spoken


def gap(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), np.float32)


def two_questions(say: Callable[..., np.ndarray], pause_s: float = 1.5) -> np.ndarray:
    return np.concatenate([gap(0.6), say(Q1), gap(pause_s), say(Q2, "pm_alex"), gap(1.5)])


async def stream(loop: VoiceLoop, audio: np.ndarray, rate: int, events: Events, turns: int) -> None:
    """Feed ``audio`` in 40 ms chunks, then its last second over and over (the floor goes on) until ``turns`` turns
    are done, or for 1.5 s of wall time when none are expected."""
    pcm, step = pcm16_bytes(audio), int(0.04 * rate) * 2
    for i in range(0, len(pcm), step):
        await loop.feed(pcm[i : i + step], rate)
        await asyncio.sleep(0)
    floor = pcm[-rate * 2 :]
    for n in range(1200 if turns else 30):  # ≤ 60 s
        if turns and len(events.of(TurnDone)) >= turns:
            break
        chunk = (n % (len(floor) // step)) * step
        await loop.feed(floor[chunk : chunk + step], rate)
        await asyncio.sleep(0.05)
    await loop.close()


def speculations(events: Events) -> list[int]:
    return [int(e.timings["speculations"]) for e in events.of(FinalTranscript)]


ROOMS: dict[str, dict[str, object]] = {
    "pink noise at 20 dB SNR": {"snr_db": 20},
    "white noise at 10 dB SNR, reverb": {"snr_db": 10, "noise": "white", "rt60_s": 0.6},
    "50 Hz hum, DC offset, pink floor": {"snr_db": 30, "hum_db": 20, "hum_hz": 50, "dc": 0.05},
    "soft speech (-30 dBFS peak) at 25 dB SNR": {"peak_dbfs": -30, "snr_db": 25},
    "shouted and clipped (+8 dB over full scale)": {"peak_dbfs": 8, "snr_db": 30},
}


@pytest.mark.parametrize("room", list(ROOMS))
async def test_two_questions_on_a_noisy_floor_get_two_answers(make_agent, speech, say, room: str) -> None:
    """1.5 s of noisy silence (not zeros) between two questions ends the first: two utterances, two answers."""
    events = Events()
    loop = make_loop(make_agent, speech, events)
    audio = mic.room(two_questions(say), RATE, seed=1, **ROOMS[room])  # type: ignore[arg-type]  # room() keywords
    await stream(loop, audio, RATE, events, turns=2)
    assert len(events.of(SpeechStarted)) == 2  # each question opened exactly one utterance
    finals = [e.text for e in events.of(FinalTranscript)]
    assert len(finals) == 2 and corpus_wer(list(zip((Q1, Q2), finals, strict=True))) <= 0.2, finals
    assert [d.answer for d in events.of(TurnDone)] == ["Temos muitos clientes."] * 2


@pytest.mark.parametrize("rate", [44_100, 48_000])
async def test_a_stereo_file_recorded_at_a_high_rate(make_agent, speech, say, rate: int) -> None:
    """A stereo WAV at 44.1/48 kHz with hum and DC offset, decoded and downmixed by ``read_audio``; and the same
    audio streamed as mono PCM at its own rate (the loop's resampler)."""
    noisy = mic.room(resample(two_questions(say), RATE, rate), rate, snr_db=20, hum_db=25, hum_hz=50, dc=0.05, seed=7)
    decoded, _ = read_audio(mic.stereo_wav(noisy, rate), target=RATE)
    for audio, audio_rate in ((decoded, RATE), (noisy, rate)):
        events = Events()
        await stream(make_loop(make_agent, speech, events), audio, audio_rate, events, turns=2)
        finals = [e.text.lower() for e in events.of(FinalTranscript)]
        assert len(finals) == 2 and "clientes" in finals[0] and "maio" in finals[1], (audio_rate, finals)


async def test_a_pause_inside_a_question_does_not_split_it(make_agent, speech, say) -> None:
    """A 450 ms pause (under the 600 ms silence) on a noisy floor, a breath before, and a cough inside with less than
    the silence around it."""
    question = [say(HALF1), gap(0.45), say(HALF2), gap(0.1), mic.cough(RATE), gap(0.1), say(Q2, "pm_alex")]
    audio = np.concatenate([gap(0.4), mic.breath(RATE, peak=0.05), gap(0.2), *question, gap(1.5)])
    events = Events()
    await stream(make_loop(make_agent, speech, events), mic.room(audio, RATE, snr_db=20, seed=2), RATE, events, 1)
    finals = [e.text for e in events.of(FinalTranscript)]
    assert len(finals) == 1 and corpus_wer([(f"{HALF1} {HALF2} {Q2}", finals[0])]) <= 0.2, finals


SOUNDS: dict[str, Callable[[], np.ndarray]] = {
    "pink noise": lambda: mic.pink(4, RATE, 1) * 0.1,
    "white noise": lambda: mic.white(4, RATE, 2) * 0.03,
    "60 Hz hum": lambda: mic.hum(4, RATE, amplitude=0.2),
    "50 Hz hum with a DC offset": lambda: mic.hum(4, RATE, hz=50, amplitude=0.2) + 0.1,
    "coughs": lambda: np.concatenate([gap(1), mic.cough(RATE), gap(0.15), mic.cough(RATE, seed=9), gap(2)]),
    "a loud breath": lambda: np.concatenate([gap(1), mic.breath(RATE, peak=0.2), gap(2)]),
}


@pytest.mark.parametrize("sound", list(SOUNDS))
async def test_sounds_alone_never_reach_the_agent(make_agent, speech, sound: str) -> None:
    events = Events()
    audio = SOUNDS[sound]() + mic.pink(4, RATE, 5)[: SOUNDS[sound]().size] * 0.002
    await stream(make_loop(make_agent, speech, events), audio.astype(np.float32), RATE, events, turns=0)
    assert not events.of(FinalTranscript) and not events.of(AgentOut)


async def test_the_quiet_cue_on_a_noisy_floor_speculates_no_more_than_on_silence(make_agent, speech, say) -> None:
    """The energy cue fires at the drop to the floor; a noise floor close to the voice hides the drop (the VAD alone
    speculates then): never more speculations per question than on digital silence, and the same transcripts."""
    clean = two_questions(say)
    runs: dict[str, tuple[list[int], list[str]]] = {}
    rooms: dict[str, dict[str, object]] = {"silence": {}, "white 30 dB": {"snr_db": 30, "noise": "white"}}
    for name, room in (rooms | {"pink 20 dB": {"snr_db": 20}}).items():
        events = Events()
        audio = mic.room(clean, RATE, seed=3, **room)  # type: ignore[arg-type]  # room() keywords
        await stream(make_loop(make_agent, speech, events), audio, RATE, events, turns=2)
        runs[name] = (speculations(events), [e.text for e in events.of(FinalTranscript)])
    silent_counts, silent_texts = runs.pop("silence")
    assert len(silent_counts) == 2
    for name, (counts, texts) in runs.items():
        assert len(counts) == 2 and all(n <= s for n, s in zip(counts, silent_counts, strict=True)), (name, runs)
        assert corpus_wer(list(zip(silent_texts, texts, strict=True))) <= 0.1, (name, silent_texts, texts)
