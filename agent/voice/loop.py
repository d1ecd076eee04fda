"""The hands-free conversation loop: mic PCM in → VAD → end of utterance → STT → agent → streamed speech out.

Surface-independent (the chat UI, the voice WebSocket and ``bench/voice_loop.py`` share it). The surface feeds
PCM16 chunks (``feed``) and receives typed events through ``emit`` (``agent.voice.events``); it sends
``AnswerAudio`` to the player and stops playback on ``Interrupted``.

Latency design (2 CPU cores): recognition starts speculatively at the first short pause (``pause_ms``) and its
result is kept when no more speech follows, so most of the STT time hides inside the silence wait; STT sees only
the VAD-trimmed utterance (no second VAD pass, no timestamps); the answer is spoken from its first clause, kept
short, while the model is still writing. Barge-in: speech of ``barge_in_ms`` over a playing answer interrupts it
(the agent still finishes the text so memory stays whole; the turn is marked ``interrupted``). Echo guard: in
``half_duplex`` mode the microphone is ignored while the answer plays (for clients without echo cancellation);
in both modes a transcript that repeats what we were just saying is dropped as our own echo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace

import numpy as np

from agent.events import AgentEvent, AnswerEvent, TokenEvent, ToolStartEvent
from agent.speech.audio import StreamResampler, pcm16_bytes, pcm16_to_float
from agent.speech.base import NoSpeechError, SpeechError, Synthesizer, Transcript
from agent.speech.speak import SpeakOptions, aspeak
from agent.voice.config import VoiceLoopConfig
from agent.voice.events import (
    AgentOut,
    AnswerAudio,
    FinalTranscript,
    Interrupted,
    Notice,
    PartialTranscript,
    SpeechStarted,
    TurnDone,
    VoiceEvent,
)
from agent.voice.turns import Dropped, Pause, SpeechStart, TurnDetector, Utterance
from agent.voice.vad import VAD_RATE, StreamingVad
from tools.errors import CodedError

log = logging.getLogger(__name__)

Recognize = Callable[[np.ndarray], Transcript]  # mono float32 at 16 kHz, already trimmed by the VAD
Respond = Callable[[str], AsyncIterator[AgentEvent]]  # question → the agent's events for this turn
Emit = Callable[[VoiceEvent], Awaitable[None]]

NO_SPEECH_NOTICE = "Não entendi. Pode repetir?"


def whisper_recognizer(
    transcriber: object, *, beam_size: int | None = None, vocabulary: Callable[[], object | None] | None = None
) -> Recognize:
    """The loop's recognizer over a ``WhisperTranscriber``: VAD-trimmed audio, no second VAD pass.

    ``beam_size`` None keeps the transcriber's beam: greedy decoding (1) saves little time under the silence wait
    and misreads robotic or accented voices ("quantos clientes temos" → "quanto slea em que temos" on espeak-ng).
    ``vocabulary`` gives the active connection's ``SpeechVocabulary`` (or None) at each utterance, so names and
    values of the database are heard as stored (see ``agent.speech.vocabulary``).
    """

    def recognize(samples: np.ndarray) -> Transcript:
        words = vocabulary() if vocabulary is not None else None
        return transcriber.transcribe_samples(samples, prefiltered=True, beam_size=beam_size, vocabulary=words)  # type: ignore[attr-defined]  # a WhisperTranscriber, typed as object to keep this module light

    return recognize


def _words(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    return re.findall(r"[a-z0-9]+", folded)


@dataclass
class _Speculation:
    speech_end_s: float
    task: asyncio.Task[Transcript]


@dataclass
class _Answer:
    turn: int
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    speaking: bool = True  # synthesis not finished yet (playback may go on until ``VoiceLoop._playing_until``)


class VoiceLoop:
    """One conversation's voice loop. Not thread-safe: call ``feed`` / ``end_of_input`` from one event loop."""

    def __init__(
        self,
        *,
        recognize: Recognize,
        synthesizer: Synthesizer,
        respond: Respond,
        emit: Emit,
        config: VoiceLoopConfig = VoiceLoopConfig(),
        speak: SpeakOptions = SpeakOptions(),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.config = config
        turns = config.turns if config.hands_free else replace(config.turns, silence_ms=10**9, max_utterance_s=1e9)
        self._recognize, self._synth, self._respond, self._emit = recognize, synthesizer, respond, emit
        self._speak = replace(speak, sample_rate=config.out_rate, first_clause_chars=config.first_clause_chars)
        self._clock = clock
        self._vad = StreamingVad()
        self._detector = TurnDetector(turns)
        self._resamplers: dict[int, StreamResampler] = {}
        self._stream_s = 0.0  # seconds of 16 kHz audio received
        self._arrivals: deque[tuple[float, float]] = deque(maxlen=2048)  # (stream_s after a feed, wall time)
        self._turn = 0
        self._speculation: _Speculation | None = None
        self._answer: _Answer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._agent_lock = asyncio.Lock()
        self._playing_until = 0.0  # wall time when the client will have played all audio we sent
        self._spoken: deque[tuple[float, str]] = deque(maxlen=64)  # (wall time sent, clause) for the echo guard
        self._transcribed: asyncio.Event | None = None  # set once the latest turn's transcript is out (or dropped)

    # --- input ----------------------------------------------------------------------------------------

    def _playing(self, now: float) -> bool:
        tail = self.config.echo_tail_ms / 1000
        return (self._answer is not None and self._answer.speaking) or now < self._playing_until + tail

    async def feed(self, pcm16: bytes, sample_rate: int) -> None:
        """A chunk of mono PCM16 little-endian microphone audio at ``sample_rate``."""
        now = self._clock()
        resampler = self._resamplers.setdefault(sample_rate, StreamResampler(sample_rate, VAD_RATE))
        samples = resampler(pcm16_to_float(pcm16))
        self._stream_s += samples.size / VAD_RATE
        self._arrivals.append((self._stream_s, now))
        if self.config.half_duplex and self._playing(now):
            if self._detector.active:
                self._detector.reset()
            self._vad.reset()
            return
        for window, prob in self._vad.feed(samples):
            for event in self._detector.feed(window, prob):
                await self._on_turn_event(event, now)
        self._check_barge_in(now)

    async def end_of_input(self) -> None:
        """The user stopped the recording (push-to-talk) or the stream ended: close the open utterance now."""
        now = self._clock()
        event = self._detector.flush()
        if event is not None:
            await self._on_turn_event(event, now)
        elif not self.config.hands_free:
            await self._emit(Notice(self._turn, "no_speech", NO_SPEECH_NOTICE))

    async def interrupt(self) -> None:
        """Stop the answer being spoken (a click on stop, or the surface's own barge-in)."""
        answer = self._answer
        if answer is not None and not answer.interrupt.is_set():
            answer.interrupt.set()
            self._playing_until = 0.0
            await self._emit(Interrupted(answer.turn))

    async def close(self) -> None:
        """Wait for the turns in flight (their events are still emitted)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _wall_at(self, stream_s: float) -> float:
        """Wall time at which the audio at ``stream_s`` had arrived."""
        for end_s, wall in self._arrivals:
            if end_s >= stream_s:
                return wall
        return self._clock()

    def _check_barge_in(self, now: float) -> None:
        answer = self._answer
        if (
            answer is None
            or not self.config.barge_in
            or self.config.half_duplex
            or answer.interrupt.is_set()
            or self._turn <= answer.turn  # the speech must have started after this answer's turn
            or not self._playing(now)
            or self._detector.current_speech_ms < self.config.barge_in_ms
        ):
            return
        log.info("barge-in: interrupting turn %d", answer.turn)
        self._spawn(self.interrupt())

    async def _on_turn_event(self, event: object, now: float) -> None:
        if isinstance(event, SpeechStart):
            self._turn += 1
            self._speculation = None
            await self._emit(SpeechStarted(self._turn, event.at_s))
        elif isinstance(event, Pause) and self.config.speculative and self.config.hands_free:
            if self._speculation is None or self._speculation.task.done():
                task = asyncio.ensure_future(asyncio.to_thread(self._recognize, event.audio))
                self._speculation = _Speculation(event.speech_end_s, task)
        elif isinstance(event, Utterance):
            speculation, self._speculation = self._speculation, None
            if speculation is not None and speculation.speech_end_s != event.speech_end_s:
                speculation = None  # the user went on speaking after the pause
            previous, self._transcribed = self._transcribed, asyncio.Event()
            self._spawn(self._run_turn(self._turn, event, speculation, now, previous, self._transcribed))
        elif isinstance(event, Dropped):
            log.debug("utterance dropped: %.0f ms of speech", event.speech_ms)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- one turn ---------------------------------------------------------------------------------------

    def _is_echo(self, text: str, started_wall: float) -> bool:
        """Did the user just say what we were saying (our own voice through the microphone)?"""
        words = _words(text)
        if len(words) < 2 or started_wall > self._playing_until + self.config.echo_tail_ms / 1000:
            return False
        recent = {w[:4] for sent, clause in self._spoken if sent >= started_wall - 30 for w in _words(clause)}
        return sum(w[:4] in recent for w in words) / len(words) >= 0.7  # "muito" heard for "muitos" still matches

    async def _run_turn(
        self,
        turn: int,
        utt: Utterance,
        speculation: _Speculation | None,
        eou_wall: float,
        previous: asyncio.Event | None,
        transcribed: asyncio.Event,
    ) -> None:
        try:
            transcript = await self._transcript(turn, utt, speculation, eou_wall)
        finally:
            if previous is not None:
                await previous.wait()  # turns come out in the order they were spoken
        try:
            if transcript is not None:
                await self._emit_question(turn, utt, transcript, speculation is not None, eou_wall, transcribed)
        finally:
            transcribed.set()

    async def _transcript(
        self, turn: int, utt: Utterance, speculation: _Speculation | None, eou_wall: float
    ) -> Transcript | None:
        try:
            if speculation is not None:
                return await speculation.task
            return await asyncio.to_thread(self._recognize, utt.audio)
        except NoSpeechError:
            await self._emit(Notice(turn, "no_speech", NO_SPEECH_NOTICE))
        except SpeechError as error:
            log.warning("voice loop: transcription failed: %s", error.code)
            await self._emit(Notice(turn, error.code, error.message))
        return None

    async def _emit_question(
        self,
        turn: int,
        utt: Utterance,
        transcript: Transcript,
        speculative: bool,
        eou_wall: float,
        transcribed: asyncio.Event,
    ) -> None:
        speech_end_wall = self._wall_at(utt.speech_end_s)
        recognized = self._clock()
        timings = {
            "endpoint_s": round(eou_wall - speech_end_wall, 3),
            "speculative": 1.0 if speculative else 0.0,
            "stt_s": transcript.processing_s,
            "stt_wait_s": round(recognized - eou_wall, 3),
        }
        text = transcript.text.strip()
        if self._is_echo(text, self._wall_at(utt.start_s)):
            log.info("voice loop: dropped our own echo %r", text[:80])
            return
        if speculative:
            await self._emit(PartialTranscript(turn, text))
        await self._emit(FinalTranscript(turn, text, dict(timings)))
        transcribed.set()
        async with self._agent_lock:
            await self._answer_turn(turn, text, timings, speech_end_wall, eou_wall, recognized)

    async def _answer_turn(
        self, turn: int, question: str, timings: dict[str, float], speech_end: float, eou: float, recognized: float
    ) -> None:
        answer = _Answer(turn)
        self._answer = answer
        deltas: asyncio.Queue[str | None] = asyncio.Queue()
        parts: dict[str, str] = {"answer": "", "segment": ""}
        marks: dict[str, float] = {}

        async def pump() -> None:
            try:
                async for event in self._respond(question):
                    await self._emit(AgentOut(turn, event))
                    if isinstance(event, TokenEvent):
                        marks.setdefault("first_text", self._clock())
                        parts["segment"] += event.text
                        deltas.put_nowait(event.text)
                    elif isinstance(event, ToolStartEvent):
                        parts["segment"] = ""
                    elif isinstance(event, AnswerEvent):
                        parts["answer"] = event.text
                        if not parts["segment"].strip():  # an answer that was not streamed (errors, limits)
                            marks.setdefault("first_text", self._clock())
                            deltas.put_nowait(event.text)
            except CodedError as error:  # e.g. memory unavailable: tell the user, keep the conversation going
                log.warning("voice loop: the agent turn failed: %s", error.code)
                await self._emit(Notice(turn, error.code, error.message))
            finally:
                deltas.put_nowait(None)

        async def text() -> AsyncIterator[str]:
            while (delta := await deltas.get()) is not None:
                yield delta

        pumping = asyncio.ensure_future(pump())
        seq = 0
        try:
            async for chunk in aspeak(self._synth, text(), self._speak, interrupt=answer.interrupt):
                now = self._clock()
                if seq == 0:
                    marks["first_audio"] = now
                pcm = pcm16_bytes(chunk.samples)
                await self._emit(AnswerAudio(turn, seq, pcm, chunk.sample_rate, chunk.text))
                self._spoken.append((now, chunk.text))
                self._playing_until = max(self._playing_until, now) + chunk.samples.size / chunk.sample_rate
                seq += 1
        except SpeechError as error:
            log.warning("voice loop: speech synthesis failed: %s", error.code)
            await self._emit(Notice(turn, error.code, error.message))
        finally:
            answer.speaking = False
            await pumping
        playing = self._playing_until - self._clock()
        if playing > 0 and not answer.interrupt.is_set():  # the turn ends when its audio has played (or on barge-in)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answer.interrupt.wait(), playing)
        if "first_text" in marks:
            timings["agent_first_text_s"] = round(marks["first_text"] - recognized, 3)
        if "first_audio" in marks:
            timings["tts_first_audio_s"] = round(marks["first_audio"] - marks.get("first_text", recognized), 3)
            timings["speech_end_to_first_audio_s"] = round(marks["first_audio"] - speech_end, 3)
            timings["eou_to_first_audio_s"] = round(marks["first_audio"] - eou, 3)
        done = TurnDone(turn, question, parts["answer"], answer.interrupt.is_set(), timings)
        if self._answer is answer:
            self._answer = None
        await self._emit(done)
