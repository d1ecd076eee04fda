"""Speculative answers: the agent and the first clause start on the speculative transcript at a short pause; a
confirmed utterance plays that draft, a resumed one drops it without a trace (no event, no audio, no memory).

Real VAD, Whisper, agent (scripted model, demo DB) and espeak-ng. The audio is fed faster than real time, so the
test waits (in wall time) at the pause until the draft has run, as the silence wait would on a live microphone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import HumanMessage

from agent.checkpoint import HeldCheckpoints
from agent.events import AgentEvent, DoneEvent
from agent.llm.scripted import Script, ScriptRule
from agent.service import Agent
from agent.speech.base import AudioChunk, RecognitionAbandoned, Transcript
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.voice.config import TurnConfig
from agent.voice.events import AgentOut, AnswerAudio, FinalTranscript, TurnDone
from agent.voice.loop import Recognize, VoiceLoop, VoiceLoopConfig, whisper_recognizer
from tests.agent.helpers import calls_of, scripted, tool_call
from tests.agent.voice.test_loop import Events, feed, silence, spoken, wait_for
from tests.ui.conftest import real_models_dir

pytestmark = pytest.mark.slow

SCRIPT = Script(
    rules=[
        ScriptRule(
            match=r"maio",
            responses=[
                tool_call("run_query", sql="SELECT COUNT(*) FROM pedidos WHERE data_pedido LIKE '2026-05%'"),
                {"content": "Em maio foram {last_result_first_value} pedidos."},
            ],
        ),
        ScriptRule(match=r"pedidos", responses=[{"content": "Temos muitos pedidos."}]),
        ScriptRule(match=r"produtos", responses=[{"content": "Temos produtos."}]),
    ]
)


@pytest.fixture(scope="module")
def engines() -> SpeechEngines:
    return SpeechEngines(SpeechConfig(models_dir=real_models_dir(), stt_threads=2))


def voiced(text: str, tmp: Path) -> bytes:
    """``text`` spoken by espeak-ng without its trailing silence (the test decides how long the pause is)."""
    samples = np.frombuffer(spoken(text, tmp), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[: loud[-1] + 1].tobytes() if loud.size else samples.tobytes()


class CountingSynth:
    """The real espeak-ng synthesizer, counting the clauses it is asked to speak."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.clauses: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def synthesize_clause(self, clause: str, **kwargs: Any) -> AudioChunk:
        self.clauses.append(clause)
        return self.inner.synthesize_clause(clause, **kwargs)


class Harness:
    def __init__(self, make_agent: Callable[..., Agent], engines: SpeechEngines) -> None:
        self.model = scripted(script=SCRIPT)
        self.agent = make_agent(self.model)
        self.events = Events()
        self.synth = CountingSynth(engines.synthesizer("espeak"))
        self.asked: list[tuple[str, bool]] = []  # (question, speculative)
        self.answered = asyncio.Event()  # an agent stream ran to its end

        async def respond(question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]:
            self.asked.append((question, hold is not None))
            async for event in self.agent.astream_turn(question=question, conversation_id="voz", hold=hold):
                yield event
            self.answered.set()

        self.loop = VoiceLoop(
            recognize=whisper_recognizer(engines.transcriber()),
            synthesizer=self.synth,  # type: ignore[arg-type]  # a spy around a real Synthesizer
            respond=respond,
            emit=self.events,
            config=VoiceLoopConfig(),
        )

    async def draft_ready(self) -> None:
        """Wait until the draft answer has run its agent turn and synthesized its first clause."""
        for _ in range(1200):  # ≤ 60 s
            if self.answered.is_set() and self.synth.clauses:
                await asyncio.sleep(0.2)  # let the draft reach its hold point
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no draft answer after 60 s: asked {self.asked}")

    def humans_remembered(self) -> list[str]:
        return [m.text for m in calls_of(self.model)[-1] if isinstance(m, HumanMessage)]


async def test_a_confirmed_utterance_plays_the_draft_answer(make_agent, engines, tmp_path: Path) -> None:
    h = Harness(make_agent, engines)
    await feed(h.loop, silence(0.3) + voiced("quantos pedidos temos", tmp_path) + silence(0.3))  # a short pause
    await h.draft_ready()
    assert h.asked and h.asked[0][1]  # the answer started on the speculative transcript
    assert not h.events.of(FinalTranscript) and not h.events.of(AnswerAudio)  # nothing sent before confirmation
    assert not any(isinstance(e, AgentOut) for e in h.events.items)

    await feed(h.loop, silence(0.8))  # the silence goes on: the utterance is confirmed
    await wait_for(h.events, TurnDone, 1, h.loop)
    await h.loop.close()

    assert len(h.asked) == 1  # the draft was used, the agent did not run again
    (done,) = h.events.of(TurnDone)
    assert done.answer == "Temos muitos pedidos." and done.timings["speculative_answer"] == 1.0
    assert done.timings["draft_lead_s"] > 0  # started before the end of the utterance was decided
    kinds = [type(e).__name__ for e in h.events.items]
    order = [kinds.index(k) for k in ("FinalTranscript", "AgentOut", "AnswerAudio", "TurnDone")]
    assert order == sorted(order)
    dones = [e for e in h.events.of(AgentOut) if isinstance(e.event, DoneEvent)]
    assert len(dones) == 1  # logged once by a surface
    assert [a.seq for a in h.events.of(AnswerAudio)] == list(range(len(h.events.of(AnswerAudio))))

    await h.agent.ask(question="E produtos?", conversation_id="voz")  # the confirmed turn was remembered
    remembered = h.humans_remembered()
    assert len(remembered) == 2 and "pedidos" in remembered[0].lower()


async def test_a_resumed_utterance_drops_the_draft_answer(make_agent, engines, tmp_path: Path) -> None:
    h = Harness(make_agent, engines)
    await feed(h.loop, silence(0.3) + voiced("quantos pedidos", tmp_path) + silence(0.3))
    await h.draft_ready()
    assert h.asked == [(h.asked[0][0], True)] and "maio" not in h.asked[0][0].lower()
    h.answered.clear()

    await feed(h.loop, spoken("foram feitos em maio", tmp_path) + silence(1.0))  # the user goes on speaking
    await wait_for(h.events, TurnDone, 1, h.loop)
    await h.loop.close()

    finals = h.events.of(FinalTranscript)
    assert len(finals) == 1 and "maio" in finals[0].text.lower()
    assert [q for q, _ in h.asked][-1] == finals[0].text  # answered the whole utterance
    (done,) = h.events.of(TurnDone)
    assert done.answer.startswith("Em maio foram ") and done.question == finals[0].text
    agent_out = h.events.of(AgentOut)
    assert all(e.turn == done.turn for e in agent_out)
    assert len([e for e in agent_out if isinstance(e.event, DoneEvent)]) == 1
    audio_text = " ".join(a.text for a in h.events.of(AnswerAudio)).lower()
    assert "muitos" not in audio_text and "maio" in audio_text  # the draft's audio was never sent

    await h.agent.ask(question="E produtos?", conversation_id="voz")  # the draft left nothing in memory
    remembered = h.humans_remembered()
    assert len(remembered) == 2 and "maio" in remembered[0].lower()


def loop_on(
    recognize: Recognize,
    events: Events,
    make_agent: Callable[..., Agent],
    engines: SpeechEngines,
    config: VoiceLoopConfig = VoiceLoopConfig(),
) -> VoiceLoop:
    """A loop whose recognitions go to ``recognize`` (a fake that counts or gates them), answered by the real agent
    (scripted model) and spoken by espeak-ng."""
    agent = make_agent(scripted(script=SCRIPT))

    def respond(question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]:
        return agent.astream_turn(question=question, conversation_id="voz", hold=hold)

    return VoiceLoop(
        recognize=recognize, synthesizer=engines.synthesizer("espeak"), respond=respond, emit=events, config=config
    )


class GatedRecognizer:
    """Recognizes by length (no model needed to check the order of work): the first call holds the recognizer
    until ``release`` is set, so the speculations that follow queue behind it. After the hold it checks ``abandon``
    where Whisper does (between its encoder and decoder passes)."""

    def __init__(self) -> None:
        self.calls: list[int] = []  # samples of each utterance actually recognized
        self.silent_ends: list[int] = []  # digital silence (zeros) at the end of each
        self.abandoned: list[bool] = []  # what ``abandon`` said after each call's "encoder pass"
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, samples: np.ndarray, *, abandon: Callable[[], bool] | None = None) -> Transcript:
        self.calls.append(samples.size)
        self.silent_ends.append(int(np.flatnonzero(samples[::-1])[0]) if samples.any() else samples.size)
        self.started.set()
        assert self.release.wait(30)
        self.abandoned.append(abandon is not None and abandon())
        if self.abandoned[-1]:
            raise RecognitionAbandoned
        text = f"quantos pedidos temos {len(self.calls)}"
        return Transcript(text, "pt", 0.9, (), samples.size / 16_000, 0.01)


async def test_a_stale_speculation_waiting_for_the_recognizer_is_never_run(make_agent, engines, tmp_path: Path) -> None:
    """Pauses start speculative recognition at once; when the user goes on speaking, a speculation still waiting
    for the recognizer is skipped (it would answer too little), one already running stops at its next stage
    (Whisper's decoder is not run for it), and the last pause's one is used."""
    recognizer, events = GatedRecognizer(), Events()
    loop = loop_on(recognizer, events, make_agent, engines, VoiceLoopConfig(turns=TurnConfig(pause_ms=64)))
    await feed(loop, silence(0.3) + voiced("quantos pedidos", tmp_path) + silence(0.25))  # pause 1: recognizing
    for _ in range(200):
        if recognizer.started.is_set():
            break
        await asyncio.sleep(0.05)
    assert recognizer.calls, "the first pause did not start a speculative recognition"
    await feed(loop, voiced("foram feitos", tmp_path) + silence(0.25))  # resumed, pause 2: waits for pause 1's
    await feed(loop, voiced("em maio", tmp_path) + silence(0.25))  # resumed: pause 2's is stale; pause 3's waits
    await feed(loop, silence(0.6))  # the silence confirms the utterance (pause 3's speculation)
    recognizer.release.set()
    await wait_for(events, TurnDone, 1, loop)
    await loop.close()

    assert len(recognizer.calls) == 2  # pause 1 (already running) and pause 3; pause 2's was skipped
    assert recognizer.abandoned == [True, False]  # pause 1's went stale while running: abandoned, not finished
    assert recognizer.calls[1] > recognizer.calls[0]  # the whole utterance
    # the 64 ms pause's audio was given the rest of the utterance's 200 ms tail as silence (4 windows at least)
    assert all(zeros >= 4 * 512 for zeros in recognizer.silent_ends)
    (final,) = events.of(FinalTranscript)
    assert final.text == "quantos pedidos temos 2" and final.timings["speculative"] == 1.0


class Recorder:
    """Recognizes at once, by call number, remembering how many samples each call got."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, samples: np.ndarray, *, abandon: Callable[[], bool] | None = None) -> Transcript:
        self.calls.append(samples.size)
        return Transcript(f"quantos pedidos temos {len(self.calls)}", "pt", 0.9, (), samples.size / 16_000, 0.01)


@pytest.mark.parametrize("cue_db", [36.0, 0.0])
async def test_the_quiet_cue_starts_recognition_before_the_vad_notices_the_pause(
    make_agent, engines, tmp_path: Path, cue_db: float
) -> None:
    """40 ms after the voice stops the VAD has not paused yet, but the energy cue has already started the
    speculative recognition of the whole utterance; the VAD's pause then keeps it (no second recognition) and the
    silence confirms it. With the cue off (0) nothing is recognized until the VAD's pause."""
    recognizer, events = Recorder(), Events()
    loop = loop_on(
        recognizer, events, make_agent, engines, VoiceLoopConfig(quiet_cue_db=cue_db, speculative_answer=False)
    )
    await feed(loop, silence(0.3) + voiced("quantos pedidos temos", tmp_path) + silence(0.04))
    await asyncio.sleep(0.5)  # the speculation's thread has run
    speculation = loop._speculation
    assert not loop._detector.paused  # the VAD has not noticed the pause yet
    if cue_db:
        assert speculation is not None and speculation.early_at_s is not None and speculation.task.done()
        before = len(recognizer.calls)
    else:
        assert speculation is None
        before = len(recognizer.calls)
    await feed(loop, silence(1.0))
    await wait_for(events, TurnDone, 1, loop)
    await loop.close()

    (final,) = events.of(FinalTranscript)
    assert final.timings["speculative"] == 1.0
    if cue_db:
        assert len(recognizer.calls) == before  # the VAD's pause kept the cue's recognition
        assert final.text == f"quantos pedidos temos {before}"
    else:
        assert len(recognizer.calls) == before + 1


async def test_voice_after_the_quiet_cue_drops_its_speculation(make_agent, engines, tmp_path: Path) -> None:
    recognizer, events = Recorder(), Events()
    loop = loop_on(recognizer, events, make_agent, engines)
    await feed(loop, silence(0.3) + voiced("quantos pedidos", tmp_path) + silence(0.04))
    await asyncio.sleep(0.5)
    early = loop._speculation
    assert early is not None and early.early_at_s is not None
    await feed(loop, voiced("foram feitos em maio", tmp_path) + silence(1.0))  # the user goes on speaking
    await wait_for(events, TurnDone, 1, loop)
    await loop.close()

    assert early.stale.is_set()
    (final,) = events.of(FinalTranscript)
    assert final.text == f"quantos pedidos temos {len(recognizer.calls)}"  # the last recognition: the whole utterance
    assert recognizer.calls[-1] > recognizer.calls[0] + 16_000 * 0.5
