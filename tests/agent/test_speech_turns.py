"""Audio in and out through the graph's transcribe and speak nodes, with fake speech engines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from agent.events import AnswerEvent, AudioEvent, DoneEvent, TranscriptEvent
from agent.service import Agent
from agent.speech.base import AudioChunk, NoSpeechError, Transcript, Voice
from tests.agent.helpers import calls_of, scripted, tool_call


class FakeTranscriber:
    def __init__(self, text: str | None) -> None:
        self.text = text
        self.calls: list[tuple[bytes | Path, int | None]] = []

    def transcribe(self, audio: bytes | Path, *, pcm16_rate: int | None = None) -> Transcript:
        self.calls.append((audio, pcm16_rate))
        if self.text is None:
            raise NoSpeechError("Não ouvi nada. Pode repetir?")
        return Transcript(self.text, "pt", 0.9, (), 1.0, 0.01)


class FakeSynthesizer:
    name = "fake"

    def __init__(self) -> None:
        self.spoken: list[tuple[str, str | None, float | None]] = []

    def voices(self) -> list[Voice]:
        return [Voice("v", "V")]

    def synthesize(self, text: str, *, voice: str | None = None, speed: float | None = None) -> Iterator[AudioChunk]:
        self.spoken.append((text, voice, speed))
        for clause in text.split("."):
            if clause.strip():
                yield AudioChunk(np.zeros(1600, dtype=np.float32), 16000, clause.strip())


async def test_audio_question_and_spoken_answer(make_agent: Callable[..., Agent]) -> None:
    transcriber, synthesizer = FakeTranscriber("quantos clientes temos"), FakeSynthesizer()
    engines: list[str | None] = []

    def factory(engine: str | None) -> FakeSynthesizer:
        engines.append(engine)
        return synthesizer

    model = scripted(
        [tool_call("run_query", sql="SELECT COUNT(*) FROM clientes"), {"content": "Temos 600 clientes. Pronto."}]
    )
    agent = make_agent(model, transcriber=transcriber, synthesizer_factory=factory)
    events = [
        e
        async for e in agent.astream_turn(
            audio=b"RIFF-fake", pcm16_rate=16000, conversation_id="a1", speak=True, voice="pf_dora", tts_engine="x"
        )
    ]
    assert transcriber.calls == [(b"RIFF-fake", 16000)]
    assert isinstance(events[0], TranscriptEvent) and events[0].transcript == "quantos clientes temos"
    assert calls_of(model)[0][-1].text == "quantos clientes temos"  # the transcript became the question
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("AnswerEvent") < kinds.index("AudioEvent")
    audio = [e for e in events if isinstance(e, AudioEvent)]
    assert len(audio) == 2 and engines == ["x"]
    assert synthesizer.spoken[0][1:] == ("v", None)  # a voice the engine lacks falls back to its default
    turn = events[-1].turn if isinstance(events[-1], DoneEvent) else None
    assert turn is not None
    assert turn.transcript == "quantos clientes temos" and turn.question == "quantos clientes temos"
    assert turn.audio_wav is not None and turn.audio_wav[:4] == b"RIFF"
    assert {"stt_ms", "tts_first_audio_ms", "tts_total_ms"} <= set(turn.timings)


async def test_no_speech_is_answered_not_raised(make_agent: Callable[..., Agent]) -> None:
    model = scripted([{"content": "nunca"}])
    agent = make_agent(model, transcriber=FakeTranscriber(None))
    turn = await agent.ask(audio=b"silence", conversation_id="a2")
    assert turn.error_code == "no_speech"
    assert turn.answer == "Não ouvi nada. Pode repetir?"
    assert calls_of(model) == []


async def test_no_audio_without_speak(make_agent: Callable[..., Agent]) -> None:
    synthesizer = FakeSynthesizer()
    agent = make_agent(scripted([{"content": "ok"}]), synthesizer_factory=lambda _engine: synthesizer)
    events = [e async for e in agent.astream_turn(question="oi", conversation_id="a3")]
    assert not [e for e in events if isinstance(e, AudioEvent)]
    assert synthesizer.spoken == []
    assert [type(e) for e in events][-2:] == [AnswerEvent, DoneEvent]


async def test_tts_failure_keeps_the_answer(make_agent: Callable[..., Agent]) -> None:
    from agent.speech.base import SpeechError

    def factory(engine: str | None) -> FakeSynthesizer:
        raise SpeechError("Motor de voz desconhecido: 'x'.", code="unknown_engine")

    agent = make_agent(scripted([{"content": "Temos 600 clientes."}]), synthesizer_factory=factory)
    events = [e async for e in agent.astream_turn(question="oi", conversation_id="a4", speak=True, tts_engine="x")]
    assert not [e for e in events if isinstance(e, AudioEvent)]
    turn = events[-1].turn  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
    assert turn.answer == "Temos 600 clientes." and turn.audio_wav is None
    assert turn.error_code == "unknown_engine"
