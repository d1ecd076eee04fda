"""The stand-in engines of ``bench/voice_loop.py --floor`` behave like the real ones where the loop can tell: a
recognition nobody wants stops after its "encoder", and every clause is spoken as audible audio through the one
speak API, so the floor runs the real loop end to end."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from agent.events import AgentEvent, AnswerEvent, TokenEvent
from agent.speech.audio import pcm16_bytes, read_audio
from agent.speech.base import RecognitionAbandoned
from agent.speech.speak import SpeakOptions, render_clause
from agent.voice.events import AnswerAudio, FinalTranscript, TurnDone, VoiceEvent
from agent.voice.loop import VoiceLoop, VoiceLoopConfig
from bench.voice_floor import FixedTimeRecognizer, FixedTimeSynthesizer

RATE = 24_000


def test_the_recognizer_hears_the_question_being_asked() -> None:
    asking = ["Quantos clientes temos?"]
    recognize = FixedTimeRecognizer(0.01, lambda: asking[0])
    heard = recognize(np.zeros(16_000, np.float32))
    assert heard.text == "Quantos clientes temos?" and heard.duration_s == 1.0
    asking[0] = "Qual o ticket médio?"
    assert recognize(np.zeros(800, np.float32)).text == "Qual o ticket médio?"


def test_an_abandoned_recognition_stops_after_its_encoder_part() -> None:
    asked: list[bool] = []

    def abandon() -> bool:
        asked.append(True)
        return True

    with pytest.raises(RecognitionAbandoned):
        FixedTimeRecognizer(0.01, lambda: "x")(np.zeros(800, np.float32), abandon=abandon)
    assert asked == [True]


def test_every_clause_is_audible_at_the_players_rate() -> None:
    synth = FixedTimeSynthesizer(0.0)
    chunks = render_clause(synth, "Encontrei", "tone", SpeakOptions(sample_rate=48_000))
    assert [c.text for c in chunks] == ["Encontrei"] and chunks[0].sample_rate == 48_000
    assert np.abs(chunks[0].samples).max() > 0.1


async def test_the_floor_runs_the_real_hands_free_loop(tmp_path: Path) -> None:
    """Real VAD and turn detection over espeak-ng speech; the stand-ins answer; one turn, heard and spoken."""
    wav = tmp_path / "q.wav"
    subprocess.run(["espeak-ng", "-v", "pt-br", "-w", str(wav), "quantos clientes temos"], check=True)
    samples, _ = read_audio(wav, target=RATE)
    events: list[VoiceEvent] = []

    async def emit(event: VoiceEvent) -> None:
        events.append(event)

    async def respond(question: str, *, hold: object = None) -> AsyncIterator[AgentEvent]:
        yield TokenEvent("Temos 42 clientes.")
        yield AnswerEvent("Temos 42 clientes.")

    loop = VoiceLoop(
        recognize=FixedTimeRecognizer(0.01, lambda: "Quantos clientes temos?"),
        synthesizer=FixedTimeSynthesizer(0.01),
        respond=respond,
        emit=emit,
        config=VoiceLoopConfig(barge_in=False),
    )
    audio = pcm16_bytes(np.concatenate([np.zeros(RATE // 2, np.float32), samples, np.zeros(RATE, np.float32)]))
    for i in range(0, len(audio), 1920):  # 40 ms chunks
        await loop.feed(audio[i : i + 1920], RATE)
        await asyncio.sleep(0)
    for _ in range(200):
        if any(isinstance(e, TurnDone) for e in events):
            break
        await loop.feed(bytes(1920), RATE)
        await asyncio.sleep(0.02)
    await loop.close()
    assert [e.text for e in events if isinstance(e, FinalTranscript)] == ["Quantos clientes temos?"]
    assert any(isinstance(e, AnswerAudio) for e in events)
    done = [e for e in events if isinstance(e, TurnDone)]
    assert len(done) == 1 and done[0].answer == "Temos 42 clientes."
