"""The hands-free loop end to end: real VAD, real Whisper, the real agent (scripted model, demo DB), espeak-ng."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from agent.checkpoint import HeldCheckpoints
from agent.events import AgentEvent
from agent.service import Agent
from agent.speech.audio import pcm16_bytes, pcm16_to_float, read_audio
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.voice.events import AnswerAudio, FinalTranscript, Interrupted, TurnDone, VoiceEvent
from agent.voice.loop import VoiceLoop, VoiceLoopConfig, whisper_recognizer
from tests.agent.helpers import scripted, tool_call
from tests.agent.voice import mic
from tests.ui.conftest import real_models_dir

pytestmark = pytest.mark.slow

RATE = 24_000
CHUNK = 960 * 2  # 40 ms of PCM16 at 24 kHz


def spoken(text: str, tmp: Path) -> bytes:
    wav = tmp / f"{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", "pt-br", "-s", "150", "-w", str(wav), text], check=True)
    samples, _ = read_audio(wav, target=RATE)
    return pcm16_bytes(samples)


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


@pytest.fixture(scope="module")
def speech() -> SpeechConfig:
    return SpeechConfig(models_dir=real_models_dir(), stt_threads=2)


class Events:
    def __init__(self) -> None:
        self.items: list[VoiceEvent] = []

    async def __call__(self, event: VoiceEvent) -> None:
        self.items.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.items if isinstance(e, kind)]


def make_loop(make_agent: Callable[..., Agent], speech: SpeechConfig, events: Events, **config: object) -> VoiceLoop:
    model = scripted(
        [tool_call("run_query", sql="SELECT COUNT(*) AS total FROM clientes"), {"content": "Temos muitos clientes."}]
        * 4
    )
    agent = make_agent(model)

    def respond(question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]:
        return agent.astream_turn(question=question, conversation_id="voz", speak=False, hold=hold)

    return VoiceLoop(
        recognize=whisper_recognizer(SpeechEngines(speech).transcriber()),
        synthesizer=SpeechEngines(speech).synthesizer("espeak"),
        respond=respond,
        emit=events,
        config=VoiceLoopConfig(**config),  # type: ignore[arg-type]  # keyword overrides of VoiceLoopConfig fields
    )


async def feed(loop: VoiceLoop, pcm: bytes) -> None:
    for i in range(0, len(pcm), CHUNK):
        await loop.feed(pcm[i : i + CHUNK], RATE)
        await asyncio.sleep(0)


async def wait_for(events: Events, kind: type, count: int = 1, loop: VoiceLoop | None = None) -> None:
    for _ in range(1200):  # ≤ 60 s
        if len(events.of(kind)) >= count:
            return
        if loop is not None:
            await loop.feed(silence(0.05), RATE)  # the microphone keeps streaming
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind.__name__} after 60 s: {[type(e).__name__ for e in events.items]}")


async def test_two_questions_separated_by_silence_get_two_answers(make_agent, speech, tmp_path: Path) -> None:
    events = Events()
    loop = make_loop(make_agent, speech, events)
    audio = (
        silence(0.4)
        + spoken("quantos clientes temos", tmp_path)
        + silence(1.2)
        + spoken("e quantos pedidos foram feitos em maio", tmp_path)
        + silence(1.2)
    )
    await feed(loop, audio)
    await wait_for(events, TurnDone, 2, loop)
    await loop.close()
    finals = [e.text.lower() for e in events.of(FinalTranscript)]
    assert len(finals) == 2 and "clientes" in finals[0] and "maio" in finals[1]
    done = events.of(TurnDone)
    assert [d.turn for d in done] == [1, 2] and not any(d.interrupted for d in done)
    assert all(d.answer == "Temos muitos clientes." for d in done)
    assert all(d.timings["speculative"] == 1.0 for d in done)  # recognized during the silence wait
    audio_out = [e for e in events.of(AnswerAudio) if e.turn == 1]
    assert (
        audio_out and audio_out[0].sample_rate == 24_000 and [a.seq for a in audio_out] == list(range(len(audio_out)))
    )
    assert np.abs(np.frombuffer(audio_out[0].pcm16, "<i2")).max() > 1000


async def test_push_to_talk_ends_at_the_click_not_at_silence(make_agent, speech, tmp_path: Path) -> None:
    events = Events()
    loop = make_loop(make_agent, speech, events, hands_free=False)
    await feed(loop, spoken("quantos clientes temos", tmp_path) + silence(1.5))
    await asyncio.sleep(0.2)
    assert not events.of(FinalTranscript)  # silence alone does not end a push-to-talk recording
    await loop.end_of_input()
    await wait_for(events, TurnDone)
    assert "clientes" in events.of(FinalTranscript)[0].text.lower()


async def test_barge_in_stops_the_answer_and_handles_the_new_question(make_agent, speech, tmp_path: Path) -> None:
    events = Events()
    loop = make_loop(make_agent, speech, events)
    await feed(loop, spoken("quantos clientes temos", tmp_path) + silence(0.9))
    await wait_for(events, AnswerAudio, 1, loop)  # the answer is playing now
    await feed(loop, spoken("espera, quantos pedidos foram feitos em maio", tmp_path) + silence(1.0))
    await wait_for(events, TurnDone, 2, loop)
    await loop.close()
    interrupted = events.of(Interrupted)
    assert [i.turn for i in interrupted] == [1]
    first, second = events.of(TurnDone)
    assert first.interrupted and not second.interrupted
    assert "maio" in events.of(FinalTranscript)[1].text.lower()
    kinds = [(type(e).__name__, getattr(e, "turn", 0)) for e in events.items]
    after = kinds[kinds.index(("Interrupted", 1)) :]
    assert ("AnswerAudio", 1) not in after  # no audio of the interrupted answer after the interrupt


async def test_half_duplex_ignores_the_microphone_while_answering(make_agent, speech, tmp_path: Path) -> None:
    events = Events()
    loop = make_loop(make_agent, speech, events, half_duplex=True)
    await feed(loop, spoken("quantos clientes temos", tmp_path) + silence(0.9))
    await wait_for(events, AnswerAudio, 1, loop)
    answer_audio = b"".join(e.pcm16 for e in events.of(AnswerAudio))
    await feed(loop, answer_audio)  # our own voice coming back through the microphone
    await wait_for(events, TurnDone, 1, loop)
    await asyncio.sleep(1.0)
    await loop.close()
    assert len(events.of(FinalTranscript)) == 1 and not events.of(Interrupted)


class EchoingRoom(Events):
    """The client's speaker and the room around the microphone: every ``AnswerAudio`` plays back to back from when
    it is sent, and the microphone hears it ``delay_s`` later, 20 dB quieter and reverberated, over a pink noise
    floor; ``Interrupted`` stops the playback. ``mic`` gives the next 40 ms the microphone sends."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay = int(delay_s * RATE)
        self.echo = np.zeros(0, np.float32)  # what the mic will hear of our answer, from the current position
        self.queued = 0  # samples still to play of what was sent
        self.floor = mic.pink(60, RATE, seed=3) * 0.002
        self.at = 0

    async def __call__(self, event: VoiceEvent) -> None:
        await super().__call__(event)
        if isinstance(event, AnswerAudio):
            sound = pcm16_to_float(event.pcm16)
            assert event.sample_rate == RATE
            heard = mic.reverb(sound * mic.db_to_amp(-20), RATE, rt60_s=0.4, seed=event.seq)
            heard = np.concatenate([heard, np.zeros(int(0.4 * RATE), np.float32)])
            start = self.queued + self.delay
            if self.echo.size < start + heard.size:
                self.echo = np.concatenate([self.echo, np.zeros(start + heard.size - self.echo.size, np.float32)])
            self.echo[start : start + heard.size] += heard
            self.queued += sound.size
        elif isinstance(event, Interrupted):
            self.echo = self.echo[: self.delay]  # what already left the speaker still reaches the mic
            self.queued = 0

    def mic(self, voice: np.ndarray | None = None) -> bytes:
        n = CHUNK // 2
        out = self.floor[self.at % (self.floor.size - n) :][:n].copy()
        self.at += n
        echo, self.echo = self.echo[:n], self.echo[n:]
        out[: echo.size] += echo
        self.queued = max(0, self.queued - n)
        if voice is not None:
            out[: voice.size] += voice
        return pcm16_bytes(out)


async def stream(loop: VoiceLoop, room: EchoingRoom, voice: bytes = b"", *, until: int, then_s: float = 0.0) -> None:
    """Send ``voice`` (the user, PCM16 at RATE) mixed into the room's sound in 40 ms chunks at real-time pace, then
    the room alone until ``until`` turns are done, and ``then_s`` more."""
    samples = pcm16_to_float(voice)
    for i in range(0, samples.size, CHUNK // 2):
        await loop.feed(room.mic(samples[i : i + CHUNK // 2]), RATE)
        await asyncio.sleep(0.04)
    for _ in range(1500):  # ≤ 60 s
        if len(room.of(TurnDone)) >= until:
            break
        await loop.feed(room.mic(), RATE)
        await asyncio.sleep(0.04)
    for _ in range(int(then_s / 0.04)):
        await loop.feed(room.mic(), RATE)
        await asyncio.sleep(0.04)


@pytest.mark.parametrize("delay_s", [0.1, 0.6])
async def test_echo_of_our_own_answer_is_never_a_question(make_agent, speech, tmp_path: Path, delay_s: float) -> None:
    """Our answer heard back through the room (no echo cancellation) is neither a new question, however Whisper
    hears it, nor a barge-in."""
    room = EchoingRoom(delay_s)
    loop = make_loop(make_agent, speech, room)
    await stream(loop, room, spoken("quantos clientes temos", tmp_path), until=1, then_s=2.0)
    await loop.close()
    assert len(room.of(FinalTranscript)) == 1  # the echo was recognized and dropped
    assert not room.of(Interrupted) and not room.of(TurnDone)[0].interrupted


async def test_a_question_over_our_echo_still_barges_in(make_agent, speech, tmp_path: Path) -> None:
    room = EchoingRoom(0.3)
    loop = make_loop(make_agent, speech, room)
    await stream(loop, room, spoken("quantos clientes temos", tmp_path), until=0)
    while not room.of(AnswerAudio):
        await loop.feed(room.mic(), RATE)
        await asyncio.sleep(0.04)
    for _ in range(10):  # 0.4 s of our echo alone first
        await loop.feed(room.mic(), RATE)
        await asyncio.sleep(0.04)
    await stream(loop, room, spoken("espera, quantos pedidos foram feitos em maio", tmp_path), until=2)
    await loop.close()
    assert [i.turn for i in room.of(Interrupted)] == [1]
    assert "maio" in room.of(FinalTranscript)[-1].text.lower()
    assert len(room.of(FinalTranscript)) == 2  # the echo before the question was no question


def test_recognizer_applies_the_connection_vocabulary_at_each_utterance(speech, tmp_path: Path) -> None:
    from agent.speech.audio import pcm16_to_float, resample
    from agent.speech.vocabulary import build_vocabulary
    from agent.voice.loop import whisper_recognizer

    vocabulary = build_vocabulary("demo", [], ["Campinas", "Ribeirão Preto"])
    asked: list[str] = []

    def active_vocabulary():
        asked.append("demo")
        return vocabulary

    transcriber = SpeechEngines(speech).transcriber()
    samples = pcm16_to_float(spoken("quantos clientes temos em Campinas", tmp_path))
    utterance = resample(samples, RATE, 16_000)
    plain = whisper_recognizer(transcriber)(utterance)
    biased = whisper_recognizer(transcriber, vocabulary=active_vocabulary)(utterance)
    assert asked == ["demo"]  # asked once per utterance, so a connection switch applies to the next one
    assert plain.heard is None  # no vocabulary: the transcript is Whisper's own
    assert biased.heard is not None and "Campinas" in biased.text  # corrected towards the stored spelling


def heard_in_order(*texts: str):  # type: ignore[no-untyped-def]  # a Recognize
    """A recognizer that hears ``texts`` in order (what Whisper heard, fixed, so the echo guard alone is tested)."""
    from agent.speech.base import Transcript

    queue = list(texts)

    def recognize(samples: np.ndarray, *, abandon: object = None) -> Transcript:
        return Transcript(queue.pop(0), "pt", 1.0, (), samples.size / 16_000, 0.0)

    return recognize


@pytest.mark.parametrize(
    ("heard", "is_echo"),
    [
        ("É muito cliantes.", True),  # our "Temos muitos clientes." misheard, as on a loaded CI run
        ("Temos muitos clientes.", True),
        ("Quantos pedidos foram feitos em maio?", False),
        ("Quantos clientes temos em São Paulo?", False),  # shares two words with the answer: still a question
    ],
)
async def test_echo_guard_recognizes_our_answer_even_misheard(make_agent, speech, tmp_path: Path, heard, is_echo):
    events = Events()
    model = scripted([{"content": "Temos muitos clientes."}] * 2)
    agent = make_agent(model)

    def respond(question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]:
        return agent.astream_turn(question=question, conversation_id="eco", speak=False, hold=hold)

    loop = VoiceLoop(
        recognize=heard_in_order("Quantos clientes temos?", heard),
        synthesizer=SpeechEngines(speech).synthesizer("espeak"),
        respond=respond,
        emit=events,
        config=VoiceLoopConfig(barge_in=False, speculative=False),
    )
    await feed(loop, spoken("quantos clientes temos", tmp_path) + silence(0.9))
    await wait_for(events, AnswerAudio, 1, loop)  # the answer is playing: what the mic hears now may be it
    await feed(loop, spoken("temos muitos clientes", tmp_path) + silence(1.0))
    await wait_for(events, TurnDone, 1, loop)
    await asyncio.sleep(0.5)
    await loop.close()
    assert len(events.of(FinalTranscript)) == (1 if is_echo else 2)


def test_the_loop_recognizer_drives_a_remote_speech_service_transcriber() -> None:
    """The loop passes ``abandon`` to every recognizer: the speech service's transcriber must take it too (here the
    service is down, so its own pt-BR error comes back, not a TypeError)."""
    import socket

    from agent.speech.remote import RemoteSpeech, SpeechServiceUnavailableError

    with socket.socket() as probe:  # a free port, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recognize = whisper_recognizer(RemoteSpeech(f"http://127.0.0.1:{port}", timeout_s=2).transcriber())
    samples = np.zeros(16_000, dtype=np.float32)
    with pytest.raises(SpeechServiceUnavailableError):
        recognize(samples, abandon=lambda: False)
    with pytest.raises(SpeechServiceUnavailableError):
        recognize(samples)
