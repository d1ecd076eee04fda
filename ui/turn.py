"""One question → the agent's event stream rendered in Chainlit: SQL steps, streamed answer, table, chart, voice.

Spoken answers are synthesized by the UI (not by the agent), in background tasks so the composer stays free.
As soon as the first complete sentence has streamed in, it is spoken (``on_first_sentence``) while the model is
still writing the rest; the remainder is spoken when the answer is complete. Within each part the first clause
is its own audio clip, so playback starts before the rest is synthesized (see ``ui.voice``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import chainlit as cl
from chainlit.element import Element

from ui import runtime, texts, voice
from ui.elements import result_elements
from ui.prefs import Prefs, TurnTimings

log = logging.getLogger("vozbd.ui")

LISTEN_ACTION = "ouvir"
VERIFY_ACTION = "resposta_certa"
_VERIFIABLE = "verifiable_answers"  # user-session key: action token -> VerifiableAnswer (kept server-side)
_MAX_VERIFIABLE = 100

# A sentence ends at . ! ? or … followed by whitespace that has already streamed in ("R$ 1.234" never splits).
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
_MIN_FIRST_SENTENCE = 12


def first_sentence(streamed: str) -> str | None:
    """The first complete sentence of streamed answer text (at least 12 characters), or None if none is complete."""
    for match in _SENTENCE_END.finditer(streamed):
        sentence = streamed[: match.end()].strip()
        if len(sentence) >= _MIN_FIRST_SENTENCE:
            return sentence
    return None


def remainder_after(answer: str, spoken: str) -> str:
    """What is left to speak of ``answer`` once ``spoken`` was; the whole answer if it does not start with it."""
    text = answer.strip()
    return text[len(spoken) :].strip() if spoken and text.startswith(spoken) else text


def listen_action(text: str) -> cl.Action:
    return cl.Action(name=LISTEN_ACTION, payload={"text": text}, label=texts.LISTEN_LABEL, tooltip=texts.LISTEN_TOOLTIP)


@dataclass(frozen=True)
class VerifiableAnswer:
    """What a 👍 on an answer records: the question and the SQL the agent ran for it, on which connection."""

    question: str
    sql: str
    connection: str
    dialect: str | None


def verify_action(answer: VerifiableAnswer) -> cl.Action:
    """The 👍 under an answer. The payload carries only a token: the SQL stays in the server-side session, so a
    browser cannot make the agent remember SQL it never ran."""
    token = uuid.uuid4().hex
    pending: dict[str, VerifiableAnswer] = cl.user_session.get(_VERIFIABLE) or {}
    pending[token] = answer
    while len(pending) > _MAX_VERIFIABLE:  # oldest answers first: a long conversation keeps a bounded map
        pending.pop(next(iter(pending)))
    cl.user_session.set(_VERIFIABLE, pending)
    return cl.Action(
        name=VERIFY_ACTION, payload={"token": token}, label=texts.VERIFY_LABEL, tooltip=texts.VERIFY_TOOLTIP
    )


def take_verifiable(token: str) -> VerifiableAnswer | None:
    """The answer a 👍 token stands for (once: a second click finds nothing)."""
    pending: dict[str, VerifiableAnswer] = cl.user_session.get(_VERIFIABLE) or {}
    return pending.pop(token, None)


async def send_result(result: Any, sql: str | None, *, text: str = "") -> cl.Message:
    """A direct (/sql) result: collapsible SQL step, then a message with the table, its CSV and maybe a chart."""
    if sql:
        async with cl.Step(name=texts.SQL_STEP_NAME, type="tool", show_input="sql", language=None) as step:
            step.input = sql
            step.output = f"{result.row_count} linha(s) em {result.elapsed_ms:.0f} ms"
    note, elements = await result_elements(result)
    message = cl.Message(content=f"{text}\n\n{note}".strip(), elements=elements)
    await message.send()
    return message


async def speak_into(
    for_id: str, text: str, prefs: Prefs, timings: TurnTimings, started: float, *, first_clip: int = 1
) -> int:
    """Synthesize ``text`` and attach audio clips to the message ``for_id`` (first clip as soon as it is ready).

    Clips are named ``resposta-<n>.wav`` from ``first_clip`` on; returns how many clips were sent.
    """
    from agent.speech.base import SpeechError

    tts_started = time.perf_counter()
    index = 0
    try:
        async for clip in voice.speak(text, prefs):
            index += 1
            name = f"resposta-{first_clip + index - 1}.wav"
            audio = cl.Audio(content=clip.wav, mime="audio/wav", name=name, display="inline", auto_play=True)
            await audio.send(for_id=for_id)
            if index == 1 and timings.end_to_first_audio_s is None:  # the turn's first audio, not a later part's
                now = time.perf_counter()
                timings.tts_first_audio_s = now - tts_started
                timings.end_to_first_audio_s = now - started
        if timings.tts_started_at is None:
            timings.tts_started_at = tts_started
        timings.extra["tts_total_s"] = time.perf_counter() - timings.tts_started_at
    except SpeechError as error:
        log.warning("speech synthesis failed: %s (%s)", error.code, error)
        await cl.Message(content=texts.SPEECH_UNAVAILABLE.format(reason=error.message)).send()
    return index


class _ToolSteps:
    """Open Chainlit steps keyed by tool call id."""

    def __init__(self, parent_id: str | None = None) -> None:
        self.steps: dict[str, cl.Step] = {}
        self.parent_id = parent_id  # the answer message: Chainlit shows child steps inside it, above the text

    async def start(self, call_id: str, name: str, args: dict[str, Any]) -> None:
        if name == "run_query":
            step = cl.Step(
                name=texts.SQL_STEP_NAME, type="tool", show_input="sql", language=None, parent_id=self.parent_id
            )
            step.input = str(args.get("sql", ""))
        elif name == "read_pdf":
            step = cl.Step(name=texts.PDF_STEP_NAME, type="tool", show_input="json", parent_id=self.parent_id)
            step.input = args
        else:
            label = texts.SCHEMA_STEP_NAME if name == "inspect_schema" else name
            step = cl.Step(name=label, type="tool", parent_id=self.parent_id)
            step.input = args
        self.steps[call_id] = step
        await step.send()

    async def end(self, call_id: str, result: Any, error: dict[str, Any] | None, elapsed_ms: float) -> None:
        step = self.steps.pop(call_id, None)
        if step is None:
            return
        if error:
            step.is_error = True
            step.output = f"❌ {error.get('message') or error.get('error') or error}"
        elif result is not None and hasattr(result, "rows"):
            step.input = getattr(result, "executed_sql", None) or step.input
            step.output = f"{result.row_count} linha(s) em {elapsed_ms:.0f} ms"
        elif result is not None and hasattr(result, "to_text"):
            step.output = result.to_text()[:4000]
        await step.update()


def _with_transcript(turn: Any, question: str, timings: TurnTimings) -> Any:
    """The UI transcribes voice itself and asks with the transcript: record it as such, with its STT time."""
    if timings.stt_s is None:
        return turn
    import dataclasses

    stt = {"stt_ms": round(timings.stt_s * 1000, 3)}
    return dataclasses.replace(turn, transcript=turn.transcript or question, timings={**stt, **turn.timings})


class TurnRenderer:
    """Renders one agent turn's events in Chainlit: the answer streaming into a message, SQL/tool steps inside it,
    then the table and chart of the last result. Used by ``run_turn`` and by the hands-free conversation."""

    def __init__(
        self,
        question: str,
        prefs: Prefs,
        timings: TurnTimings,
        on_first_sentence: Callable[[cl.Message, str], None] | None = None,
    ) -> None:
        self.question, self.prefs, self.timings = question, prefs, timings
        self.on_first_sentence = on_first_sentence
        self.message = cl.Message(content="")
        self.steps = _ToolSteps()
        self.answer = ""
        self.segment = ""  # text streamed since the last tool call: the answer being written
        self.first_sent = on_first_sentence is None
        self.results: list[Any] = []
        self.query_args: dict[str, dict[str, Any]] = {}  # run_query call id -> its arguments
        self.verifiable: VerifiableAnswer | None = None  # the last query that answered, for the 👍
        self.sql_ms = 0.0
        self.asked = time.perf_counter()

    async def start(self) -> None:
        self.timings.model = self.prefs.model or runtime.llm_state().spec
        await self.message.send()
        self.steps.parent_id = self.message.id
        self.asked = time.perf_counter()

    async def on_event(self, event: Any) -> None:
        from agent.events import AnswerEvent, DoneEvent, TokenEvent, ToolEndEvent, ToolStartEvent

        timings = self.timings
        if isinstance(event, TokenEvent):
            if timings.llm_first_token_s is None:
                timings.llm_first_token_s = time.perf_counter() - self.asked
            await self.message.stream_token(event.text)
            self.segment += event.text
            if not self.first_sent and (sentence := first_sentence(self.segment)) is not None:
                self.first_sent = True
                self.on_first_sentence(self.message, sentence)  # type: ignore[misc]  # first_sent is False only when a callback was given
        elif isinstance(event, ToolStartEvent):
            self.segment = ""
            if timings.llm_first_token_s is None:
                timings.llm_first_token_s = time.perf_counter() - self.asked
            await self.steps.start(event.call_id, event.name, event.args)
            if event.name == "run_query":
                self.query_args[event.call_id] = dict(event.args)
        elif isinstance(event, ToolEndEvent):
            await self.steps.end(event.call_id, event.result, event.error, event.elapsed_ms)
            if event.name == "run_query":
                self.sql_ms += event.elapsed_ms
                if event.result is not None and hasattr(event.result, "rows"):
                    self.results.append(event.result)
                    self.verifiable = self._verifiable(event.call_id, event.result)
        elif isinstance(event, AnswerEvent):
            self.answer = event.text
        elif isinstance(event, DoneEvent):
            self.answer = self.answer or event.turn.answer
            log.debug("agent timings: %s", event.turn.timings)
            user = cl.user_session.get("user")
            await runtime.record_turn(
                _with_transcript(event.turn, self.question, timings),
                user_id=getattr(user, "identifier", None),
                model=timings.model,
                voice=timings.stt_s is not None,
            )

    def _verifiable(self, call_id: str, result: Any) -> VerifiableAnswer | None:
        sql = str(self.query_args.get(call_id, {}).get("sql") or "").strip()
        connection = getattr(result, "connection", None)
        if not sql or not connection:
            return None
        return VerifiableAnswer(self.question, sql, str(connection), getattr(result, "dialect", None))

    async def finish(self, *, note: str = "") -> str:
        """Final message: the answer (plus ``note``), the table and chart of the last result; returns the answer."""
        timings = self.timings
        if timings.llm_first_token_s is None:
            timings.llm_first_token_s = time.perf_counter() - self.asked
        timings.sql_s = self.sql_ms / 1000 if self.sql_ms else None
        content = (self.answer or self.message.content) + note
        elements: list[Element] = []
        if self.results:
            empty_note, elements = await result_elements(self.results[-1])
            content = f"{content}\n\n{empty_note}".strip()
        self.message.content = content
        self.message.elements = elements  # type: ignore[assignment]  # Chainlit annotates it with an unbound TypeVar
        actions = [listen_action(self.answer)] if self.answer and not self.prefs.auto_speak else []
        if self.answer and self.verifiable is not None and runtime.memory_available():
            actions.append(verify_action(self.verifiable))
        self.message.actions = actions
        await self.message.update()
        return self.answer


async def run_turn(
    question: str,
    prefs: Prefs,
    *,
    conversation_id: str,
    timings: TurnTimings,
    on_first_sentence: Callable[[cl.Message, str], None] | None = None,
) -> tuple[cl.Message, str]:
    """Ask the agent and render its events; returns the answer message and its text (to be spoken).

    ``on_first_sentence(message, sentence)`` is called once, as soon as the text streamed since the last tool call
    holds a complete sentence, so the caller can start speaking before the answer is finished.
    """
    agent = await asyncio.to_thread(runtime.agent_for, prefs.model)
    renderer = TurnRenderer(question, prefs, timings, on_first_sentence)
    await renderer.start()
    stream = agent.astream_turn(
        question=question, conversation_id=conversation_id, connection=prefs.connection_arg, speak=False
    )
    async for event in stream:
        await renderer.on_event(event)
    answer = await renderer.finish()
    return renderer.message, answer
