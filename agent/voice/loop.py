"""The hands-free conversation loop: mic PCM in → VAD → end of utterance → STT → agent → streamed speech out.

Surface-independent (the chat UI, the voice WebSocket and ``bench/voice_loop.py`` share it). The surface feeds
PCM16 chunks (``feed``) and receives typed events through ``emit`` (``agent.voice.events``); it sends
``AnswerAudio`` to the player and stops playback on ``Interrupted``.

Latency design (2 CPU cores): recognition starts speculatively at every short pause (``pause_ms``, one VAD window by
default; sooner, at the energy drop of ``agent.voice.cue``, which the VAD's pause then confirms or a sound retracts)
and the last one's result is kept when no more speech follows, so the STT time hides inside the silence
wait; when the user goes on speaking, a speculation still waiting for the recognizer is skipped (recognitions run
one at a time) and one already running is abandoned after its encoder pass (``Recognize``'s ``abandon``), so a
mid-sentence pause costs at most one encoder pass; STT sees only the VAD-trimmed utterance (no second VAD pass, no
timestamps); the answer is spoken from its first clause, kept short, while the model is still writing. Speculative
answer: as soon as that speculative transcript is ready, the agent turn and the first clause's synthesis start too
(a *draft*); its events, audio included, are held back until the silence confirms the utterance, then sent at once.
If the user goes on speaking the draft is cancelled and dropped: nothing reaches the surface and its memory writes
(``HeldCheckpoints``) are never made. So ``respond`` must have no side effect of its own: a surface renders and logs
a turn from the ``AgentOut`` events it is sent.
Barge-in: speech of ``barge_in_ms`` over a playing answer interrupts it
(the agent still finishes the text so memory stays whole; the turn is marked ``interrupted``). Echo guard: in
``half_duplex`` mode the microphone is ignored while the answer plays (for clients without echo cancellation);
in both modes speech that sounds like the answer we were playing (``agent.voice.echo_acoustic``) or whose
transcript repeats what we were just saying is dropped as our own echo, and our echo never barges in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Protocol

import numpy as np

from agent.checkpoint import HeldCheckpoints
from agent.events import AgentEvent, AnswerEvent, TokenEvent, ToolStartEvent
from agent.speech.audio import StreamResampler, pcm16_bytes, pcm16_to_float
from agent.speech.base import NoSpeechError, RecognitionAbandoned, SpeechError, Synthesizer, Transcript
from agent.speech.speak import SpeakOptions, aspeak
from agent.voice.config import VoiceLoopConfig
from agent.voice.cue import Loud, Quiet, QuietCue
from agent.voice.drafts import Answer, Draft, Emit, Gate, Speculation, closing
from agent.voice.echo import heard_as_one_of, plain_words
from agent.voice.echo_acoustic import EchoReference
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
from agent.voice.turns import WINDOW_MS, Dropped, Pause, Resume, SpeechStart, TurnDetector, Utterance
from agent.voice.vad import VAD_RATE, StreamingVad
from tools.errors import CodedError

log = logging.getLogger(__name__)


class Recognize(Protocol):
    """Mono float32 at 16 kHz, already trimmed by the VAD → its transcript. ``abandon`` turns true when the result
    is no longer wanted (the user went on speaking): a recognizer may check it between its stages and raise
    ``RecognitionAbandoned`` (Whisper's encoder and decoder are separate calls; neither can be stopped once
    running)."""

    def __call__(self, samples: np.ndarray, *, abandon: Callable[[], bool] | None = None) -> Transcript: ...


class Respond(Protocol):
    """Question → the agent's events for this turn, with no other side effect (the surface renders and logs the
    turn from the ``AgentOut`` events). ``hold`` is set for a speculative turn: pass it to
    ``Agent.astream_turn(hold=...)`` so its memory is written only if the loop commits it."""

    def __call__(self, question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]: ...


NO_SPEECH_NOTICE = "Não entendi. Pode repetir?"
# The VAD's end of speech lags the energy cue by up to about two windows (Silero still scores the first 30-60 ms
# of silence as speech); a later end means the VAD heard speech after the cue (a soft word): not the same pause.
EARLY_SLACK_S = 0.1


class SpeculationSkipped(Exception):
    """A speculative recognition that went stale before the recognizer was free: it was never run."""


def _retrieve(task: asyncio.Future[Transcript]) -> None:
    """Mark a speculative recognition's outcome as seen (a dropped one is never awaited)."""
    if not task.cancelled():
        task.exception()


def whisper_recognizer(
    transcriber: object, *, beam_size: int | None = None, vocabulary: Callable[[], object | None] | None = None
) -> Recognize:
    """The loop's recognizer over a ``WhisperTranscriber``: VAD-trimmed audio, no second VAD pass.

    ``beam_size`` None keeps the transcriber's beam: greedy decoding (1) saves little time under the silence wait
    and misreads robotic or accented voices ("quantos clientes temos" → "quanto slea em que temos" on espeak-ng).
    ``vocabulary`` gives the active connection's ``SpeechVocabulary`` (or None) at each utterance, so names and
    values of the database are heard as stored (see ``agent.speech.vocabulary``).
    """

    def recognize(samples: np.ndarray, *, abandon: Callable[[], bool] | None = None) -> Transcript:
        words = vocabulary() if vocabulary is not None else None
        return transcriber.transcribe_samples(  # type: ignore[attr-defined]  # a WhisperTranscriber, typed as object to keep this module light
            samples, prefiltered=True, beam_size=beam_size, vocabulary=words, abandon=abandon
        )

    return recognize


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
        early = config.hands_free and config.speculative and config.quiet_cue_db > 0
        self._cue = QuietCue(drop_db=config.quiet_cue_db) if early else None
        self._resamplers: dict[int, StreamResampler] = {}
        self._stream_s = 0.0  # seconds of 16 kHz audio received
        self._arrivals: deque[tuple[float, float]] = deque(maxlen=2048)  # (stream_s after a feed, wall time)
        self._turn = 0
        self._speculations: dict[int, int] = {}  # turn → speculative recognitions started (a timing, for benches)
        self._speculation: Speculation | None = None
        self._answer: Answer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._agent_lock = asyncio.Lock()
        self._recognizer_lock = threading.Lock()  # one recognition at a time: a stale one waiting is skipped
        # A pause's audio ends ``pause_ms`` into the silence; the finished utterance keeps ``tail_ms`` of it. The
        # speculation gets the difference as digital silence, so Whisper sees the end of the last word as it would
        # in the utterance (with 64 ms it misheard "em junho" as "em junio" where the utterance was heard right).
        missing = round(turns.tail_ms / WINDOW_MS) - math.ceil(turns.pause_ms / WINDOW_MS)
        self._pause_pad = np.zeros(max(0, missing) * round(WINDOW_MS * VAD_RATE / 1000), dtype=np.float32)
        self._playing_until = 0.0  # wall time when the client will have played all audio we sent
        # The echo guard works on the microphone's own clock (seconds of audio received), not on wall time: where in
        # the mic stream our answer can be heard back does not depend on how late this server processes it.
        self._echo_until_s = 0.0  # mic-stream time until which what we sent may still be playing
        self._spoken: deque[tuple[float, str]] = deque(maxlen=64)  # (mic-stream time sent, clause)
        self._played = EchoReference()  # the audio itself, for the acoustic echo check
        self._barge_checked_s = 0.0  # mic-stream time of the last acoustic check of speech over the answer
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
            if self._cue is not None:
                self._cue.reset()
            return
        for window, prob in self._vad.feed(samples):
            for event in self._detector.feed(window, prob):
                await self._on_turn_event(event, now)
        if self._cue is not None:
            for cue in self._cue.feed(samples):
                await self._on_cue(cue)
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
            self._echo_until_s = 0.0  # the speech that interrupted is the user's, not our echo
            self._played.clear_after(self._stream_s)
            await self._emit(Interrupted(answer.turn))

    async def close(self) -> None:
        """Wait for the turns in flight (their events are still emitted); an unconfirmed draft is dropped."""
        await self._discard_speculation()
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
            or self._speech_is_our_echo()
        ):
            return
        log.info("barge-in: interrupting turn %d", answer.turn)
        self._spawn(self.interrupt())

    def _speech_is_our_echo(self) -> bool:
        """The speech going on over our answer (its last 1.5 s) sounds like the answer itself, heard back; checked
        every 0.1 s of microphone audio (a verdict of echo holds until then)."""
        if self._stream_s - self._barge_checked_s < 0.1:
            return True
        self._barge_checked_s = self._stream_s
        audio = self._detector.audio_so_far()[-int(1.5 * VAD_RATE) :]
        end_s = self._stream_s - self._vad.pending.size / VAD_RATE
        return self._sounds_like_echo(audio, end_s, self.config.echo_barge_in_similarity)

    def _sounds_like_echo(self, audio: np.ndarray, end_s: float, threshold: float) -> bool:
        """``audio`` (16 kHz, ending at mic-stream time ``end_s``) is acoustically our own answer heard back."""
        if self.config.half_duplex or threshold <= 0:
            return False
        score = self._played.similarity(audio, end_s - audio.size / VAD_RATE)
        log.debug("voice loop: acoustic echo similarity %.3f", score)
        return score >= threshold

    async def _on_turn_event(self, event: object, now: float) -> None:
        if isinstance(event, SpeechStart):
            self._turn += 1
            self._speculations = {t: n for t, n in self._speculations.items() if t > self._turn - 4}
            await self._discard_speculation()
            await self._emit(SpeechStarted(self._turn, event.at_s))
        elif isinstance(event, Pause) and self.config.speculative and self.config.hands_free:
            early = self._speculation
            if (
                early is not None
                and early.early_at_s is not None
                and event.speech_end_s <= early.early_at_s + EARLY_SLACK_S
            ):
                early.speech_end_s, early.early_at_s = event.speech_end_s, None  # the VAD heard the same pause
                return
            await self._discard_speculation()
            self._speculate(np.concatenate([event.audio, self._pause_pad]), event.speech_end_s)
        elif isinstance(event, Resume):
            await self._discard_speculation()  # the user goes on speaking: the speculation answers too little
        elif isinstance(event, Utterance):
            speculation, self._speculation = self._speculation, None
            if speculation is not None and speculation.speech_end_s != event.speech_end_s:
                await self._discard_draft(speculation)
                speculation = None  # the user went on speaking after the pause
            previous, self._transcribed = self._transcribed, asyncio.Event()
            self._spawn(self._run_turn(self._turn, event, speculation, now, previous, self._transcribed))
        elif isinstance(event, Dropped):
            log.debug("utterance dropped: %.0f ms of speech", event.speech_ms)

    async def _on_cue(self, cue: Quiet | Loud) -> None:
        """The energy cue (``agent.voice.cue``): speculate at once on a sudden quiet, before the VAD's pause; drop
        that speculation if sound comes back before the VAD confirmed the pause."""
        speculation = self._speculation
        if isinstance(cue, Loud):
            if speculation is not None and speculation.early_at_s is not None:
                await self._discard_speculation()
            return
        detector = self._detector
        if (
            speculation is not None
            or not detector.active
            or detector.paused
            or detector.current_speech_ms < detector.config.min_speech_ms
        ):
            return
        pad_ms = max(0.0, detector.config.tail_ms - cue.quiet_ms)
        pad = np.zeros(round(pad_ms * VAD_RATE / 1000), dtype=np.float32)
        audio = np.concatenate([detector.audio_so_far(), self._vad.pending, pad])
        self._speculate(audio, -1.0, early_at_s=self._stream_s)

    def _speculate(self, audio: np.ndarray, speech_end_s: float, *, early_at_s: float | None = None) -> None:
        """Start recognizing ``audio`` (the utterance so far) in a worker thread, and a draft answer once it is
        heard."""
        self._speculations[self._turn] = self._speculations.get(self._turn, 0) + 1
        stale = threading.Event()
        task = asyncio.ensure_future(asyncio.to_thread(self._recognize_unless, audio, stale))
        task.add_done_callback(_retrieve)
        started = Speculation(speech_end_s, task, early_at_s=early_at_s, stale=stale)
        self._speculation = started
        if self.config.speculative_answer:
            started.starter = asyncio.ensure_future(self._start_draft(started, self._turn))

    async def _discard_speculation(self) -> None:
        speculation, self._speculation = self._speculation, None
        await self._discard_draft(speculation)

    def _recognize_unless(self, audio: np.ndarray, stale: threading.Event) -> Transcript:
        """Recognize ``audio`` (in a worker thread) once the recognizer is free, unless ``stale`` is set by then
        (or, with a recognizer that checks ``abandon``, by the end of its encoder pass: the decoder is skipped)."""
        with self._recognizer_lock:
            if stale.is_set():
                raise SpeculationSkipped
            try:
                return self._recognize(audio, abandon=stale.is_set)
            except RecognitionAbandoned as error:
                raise SpeculationSkipped from error

    async def _discard_draft(self, speculation: Speculation | None) -> None:
        """Cancel and drop a draft answer not yet confirmed (nothing of it was sent or remembered)."""
        if speculation is None:
            return
        speculation.stale.set()
        starter, speculation.starter = speculation.starter, None
        if starter is not None and not starter.done():
            starter.cancel()
        draft, speculation.draft = speculation.draft, None
        if draft is None or draft.gate.opened.is_set() or draft.task is None:
            return
        log.debug("voice loop: dropping the draft answer to %r", draft.question[:80])
        draft.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await draft.task

    async def _start_draft(self, speculation: Speculation, turn: int) -> None:
        """Once the speculative transcript is ready, start answering it (if nothing else is being answered)."""
        try:
            transcript = await speculation.task
        except (SpeechError, SpeculationSkipped):
            return
        question = transcript.text.strip()
        busy = self._agent_lock.locked() or self._answer is not None
        if not question or busy or self._speculation is not speculation or self._turn != turn:
            return
        if self._transcribed is not None and not self._transcribed.is_set():
            return  # an earlier turn is still being transcribed: answers go out in order
        answer = Answer(turn)
        draft = Draft(
            question=question,
            answer=answer,
            gate=Gate(lambda event: self._deliver(answer, event)),
            hold=HeldCheckpoints(),
            timings={"speculative_answer": 1.0},
            marks={"recognized": self._clock()},
        )
        speculation.draft = draft
        draft.task = asyncio.ensure_future(self._run_draft(draft, turn))

    async def _run_draft(self, draft: Draft, turn: int) -> None:
        # The lock is taken here, not by the caller: a task cancelled before its first step runs no ``finally``.
        if self._agent_lock.locked():
            return  # another turn got there first: this draft never starts (and is never adopted)
        await self._agent_lock.acquire()  # free: taken at once
        draft.started = True
        try:
            await self._answer_turn(
                turn, draft.question, draft.timings, draft.marks, draft.answer, out=draft.gate, hold=draft.hold
            )
        finally:
            self._agent_lock.release()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- one turn ---------------------------------------------------------------------------------------

    def _is_echo(self, text: str, utt: Utterance) -> bool:
        """Did the user just say what we were saying (our own voice through the microphone)?

        The utterance must start (in the mic stream) while our answer may still be playing; then either it sounds
        like the audio we were playing (``agent.voice.echo_acoustic``: robust to Whisper mishearing it), or most of
        its words (of 3+ letters) are words we had sent before it ended, heard approximately: same first four
        letters ("muito" for "muitos") or a close spelling ("cliantes" for "clientes").
        """
        if utt.start_s > self._echo_until_s + self.config.echo_tail_ms / 1000:
            return False
        end_s = utt.speech_end_s + self._detector.config.tail_ms / 1000
        if self._sounds_like_echo(utt.audio, end_s, self.config.echo_similarity):
            return True
        words = [w for w in plain_words(text) if len(w) >= 3]
        if len(words) < 2:
            return False
        said = {
            w
            for sent_s, clause in self._spoken
            if utt.start_s - 30 <= sent_s <= utt.speech_end_s
            for w in plain_words(clause)
            if len(w) >= 3
        }
        return sum(heard_as_one_of(w, said) for w in words) / len(words) >= 0.7

    async def _run_turn(
        self,
        turn: int,
        utt: Utterance,
        speculation: Speculation | None,
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
                await self._emit_question(turn, utt, transcript, speculation, eou_wall, transcribed)
            else:
                await self._discard_draft(speculation)
        finally:
            transcribed.set()

    async def _transcript(
        self, turn: int, utt: Utterance, speculation: Speculation | None, eou_wall: float
    ) -> Transcript | None:
        try:
            if speculation is not None:
                return await speculation.task
            return await asyncio.to_thread(self._recognize_unless, utt.audio, threading.Event())
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
        speculation: Speculation | None,
        eou_wall: float,
        transcribed: asyncio.Event,
    ) -> None:
        speech_end_wall = self._wall_at(utt.speech_end_s)
        recognized = self._clock()
        timings = {
            "endpoint_s": round(eou_wall - speech_end_wall, 3),
            "speculative": 1.0 if speculation is not None else 0.0,
            "stt_s": transcript.processing_s,
            "stt_wait_s": round(recognized - eou_wall, 3),
            "speculations": float(self._speculations.pop(turn, 0)),
        }
        text = transcript.text.strip()
        if self._is_echo(text, utt):
            log.info("voice loop: dropped our own echo %r", text[:80])
            await self._discard_draft(speculation)
            return
        if speculation is not None:
            await self._emit(PartialTranscript(turn, text))
        await self._emit(FinalTranscript(turn, text, dict(timings)))
        transcribed.set()
        draft = speculation.draft if speculation is not None else None
        if draft is not None and draft.task is not None and draft.started and draft.question == text:
            speculation.draft = None  # type: ignore[union-attr]  # draft is not None only with a speculation
            marks = draft.marks
            timings["draft_lead_s"] = round(recognized - marks["recognized"], 3)  # how early the draft started
            draft.timings.update(timings)
            marks |= {"speech_end": speech_end_wall, "eou": eou_wall}
            self._answer = draft.answer
            await draft.gate.open()  # what the draft has so far (its first audio, maybe) goes out now
            await draft.task
            return
        await self._discard_draft(speculation)
        async with self._agent_lock:
            marks = {"speech_end": speech_end_wall, "eou": eou_wall, "recognized": recognized}
            answer = Answer(turn)
            self._answer = answer
            await self._answer_turn(turn, text, timings, marks, answer, out=lambda e: self._deliver(answer, e))

    async def _deliver(self, answer: Answer, event: VoiceEvent) -> None:
        """Send an event of ``answer`` to the surface (audio: remember what is playing until when)."""
        if isinstance(event, AnswerAudio):
            now = self._clock()
            if answer.first_audio is None:
                answer.first_audio = now
            seconds = len(event.pcm16) / 2 / event.sample_rate
            self._spoken.append((self._stream_s, event.text))
            self._played.add(event.pcm16, event.sample_rate, self._stream_s)
            self._playing_until = max(self._playing_until, now) + seconds
            self._echo_until_s = max(self._echo_until_s, self._stream_s) + seconds
        await self._emit(event)

    async def _answer_turn(
        self,
        turn: int,
        question: str,
        timings: dict[str, float],
        marks: dict[str, float],
        answer: Answer,
        *,
        out: Emit,
        hold: HeldCheckpoints | None = None,
    ) -> None:
        """Answer ``question``: the agent's events and the spoken answer go to ``out`` (a draft's gate, or straight
        to the surface); ``hold`` (a draft) keeps the turn's memory writes until the draft is confirmed."""
        draft = out if isinstance(out, Gate) else None
        deltas: asyncio.Queue[str | None] = asyncio.Queue()
        parts: dict[str, str] = {"answer": "", "segment": ""}

        async def pump() -> None:
            try:
                events = self._respond(question, hold=hold) if hold is not None else self._respond(question)
                async with closing(events):  # a cancelled draft closes the agent's stream at once
                    async for event in events:
                        await out(AgentOut(turn, event))
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
                await out(Notice(turn, error.code, error.message))
            finally:
                deltas.put_nowait(None)

        async def text() -> AsyncIterator[str]:
            while (delta := await deltas.get()) is not None:
                yield delta

        pumping = asyncio.ensure_future(pump())
        seq = 0
        try:
            speech = aspeak(self._synth, text(), self._speak, interrupt=answer.interrupt)
            async with closing(speech):
                async for chunk in speech:
                    pcm = pcm16_bytes(chunk.samples)
                    await out(AnswerAudio(turn, seq, pcm, chunk.sample_rate, chunk.text))
                    seq += 1
                    if draft is not None and not draft.opened.is_set():
                        await draft.opened.wait()  # a draft synthesizes its first clause only, until confirmed
        except SpeechError as error:
            log.warning("voice loop: speech synthesis failed: %s", error.code)
            await out(Notice(turn, error.code, error.message))
        finally:
            answer.speaking = False
            if not pumping.done() and asyncio.current_task().cancelling():  # type: ignore[union-attr]  # in a task
                pumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumping
        if draft is not None:
            await draft.opened.wait()
        if hold is not None:
            await self._commit(turn, hold)
        playing = self._playing_until - self._clock()
        if playing > 0 and not answer.interrupt.is_set():  # the turn ends when its audio has played (or on barge-in)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answer.interrupt.wait(), playing)
        if "first_text" in marks:
            timings["agent_first_text_s"] = round(marks["first_text"] - marks["recognized"], 3)
        if answer.first_audio is not None:
            first_text = marks.get("first_text", marks["recognized"])
            timings["tts_first_audio_s"] = round(max(0.0, answer.first_audio - first_text), 3)
            timings["speech_end_to_first_audio_s"] = round(answer.first_audio - marks["speech_end"], 3)
            timings["eou_to_first_audio_s"] = round(answer.first_audio - marks["eou"], 3)
        done = TurnDone(turn, question, parts["answer"], answer.interrupt.is_set(), timings)
        if self._answer is answer:
            self._answer = None
        await out(done)

    async def _commit(self, turn: int, hold: HeldCheckpoints) -> None:
        """A confirmed draft: write its memory now."""
        try:
            await hold.commit()
        except RuntimeError:  # a ``respond`` that did not run the agent's stream to its end: a bug, not input
            log.exception("voice loop: the confirmed turn %d could not be remembered", turn)
        except CodedError as error:
            log.warning("voice loop: the confirmed turn %d could not be remembered: %s", turn, error.code)
            await self._emit(Notice(turn, error.code, error.message))
