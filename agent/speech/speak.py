"""The one streaming speak API: answer text in (whole, or streamed token by token) → ordered audio chunks out.

Every surface speaks through here (graph, chat UI, REST ``/speak``, voice WebSocket, CLI):

* ``SentenceStream`` turns streamed markdown into speakable clauses as soon as each sentence is complete
  (text prep + clause splitting in one place; the first clause is kept short so its synthesis is short);
* ``pick_voice`` is the one voice fallback (a voice the engine does not have → the engine's default);
* ``speak`` (sync) and ``aspeak`` (async, synthesis in a worker thread while the text is still streaming in)
  yield ``AudioChunk``s in order, optionally resampled for the player.
  ``aspeak`` stops at once when its ``interrupt`` event is set (barge-in).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

from agent.speech.audio import resample
from agent.speech.base import AudioChunk, SpeechError, Synthesizer
from agent.speech.textprep import FIRST_CLAUSE_CHARS, prepare_for_speech, split_for_speech

log = logging.getLogger(__name__)

# A sentence ends at . ! ? … (or a paragraph break) followed by whitespace that has already streamed in.
_SENTENCE_END = re.compile(r"[.!?…:;](?=\s)|\n\s*\n")
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_LIST_MARKER = re.compile(r"\s{0,3}\d{1,3}\.")


@dataclass(frozen=True)
class SpeakOptions:
    """How to speak: voice and speed (None → the engine's defaults), output rate (None → the engine's own).

    ``strict_voice``: an unknown voice raises ``SpeechError(code="unknown_voice")`` instead of falling back
    (for a voice the user typed explicitly, e.g. ``vozbd speak --voice``).
    """

    voice: str | None = None
    strict_voice: bool = False
    speed: float | None = None
    sample_rate: int | None = None
    first_clause_chars: int = FIRST_CLAUSE_CHARS


class SentenceStream:
    """Incremental splitter: ``feed(delta)`` returns the speakable clauses completed so far, ``flush()`` the rest.

    Text is cut only at sentence ends outside code fences and table rows, then prepared for speech (markdown,
    SQL and code dropped; numbers spelled out) and split into clauses; only the very first clause of the
    stream is shortened to ``first_clause_chars``.
    """

    def __init__(self, *, first_clause_chars: int = FIRST_CLAUSE_CHARS) -> None:
        self._buffer = ""
        self._first = True
        self._first_chars = first_clause_chars

    def _cut(self) -> int:
        cut = 0
        for match in _SENTENCE_END.finditer(self._buffer):
            head = self._buffer[: match.end()]
            if len(_FENCE.findall(head)) % 2:  # inside an open code fence
                break
            line_start = head.rfind("\n") + 1
            if head[line_start:].lstrip().startswith("|"):  # inside a markdown table row
                continue
            if _LIST_MARKER.fullmatch(head[line_start:]):  # "1." of a numbered list, not a sentence ("um.")
                continue
            cut = match.end()
        return cut

    def _clauses(self, raw: str) -> list[str]:
        spoken = prepare_for_speech(raw)
        if not spoken:
            return []
        first_max = self._first_chars if self._first else 10_000
        clauses = split_for_speech(spoken, first_max_chars=first_max)
        if clauses:
            self._first = False
        return clauses

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        cut = self._cut()
        if not cut:
            return []
        raw, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return self._clauses(raw)

    def flush(self) -> list[str]:
        raw, self._buffer = self._buffer, ""
        return self._clauses(raw) if raw.strip() else []


def clauses_of(text: str, *, first_clause_chars: int = FIRST_CLAUSE_CHARS) -> list[str]:
    """All speakable clauses of a complete answer, in order."""
    stream = SentenceStream(first_clause_chars=first_clause_chars)
    return stream.feed(text) + stream.flush()


def pick_voice(synthesizer: Synthesizer, voice: str | None, *, strict: bool = False) -> str | None:
    """``voice`` when the engine has it (or an alias it resolves), else the engine's default voice."""
    resolve = getattr(synthesizer, "resolve_voice", None)
    if voice is not None and resolve is not None:
        try:
            return str(resolve(voice))
        except SpeechError:
            if strict:
                raise
            log.info("voice %r unknown to %s; using its default voice", voice, getattr(synthesizer, "name", "?"))
    elif voice is not None and voice in {v.id for v in synthesizer.voices()}:
        return voice
    default = getattr(synthesizer, "default_voice", None)
    if default is not None:
        return str(default)
    known = synthesizer.voices()
    return known[0].id if known else None


def render_clause(synthesizer: Synthesizer, clause: str, voice: str | None, options: SpeakOptions) -> list[AudioChunk]:
    """Synthesize one prepared clause; a clause the engine cannot speak is skipped (logged), not fatal."""
    by_clause = getattr(synthesizer, "synthesize_clause", None)  # ClauseSynthesizer: no second split
    try:
        if by_clause is not None:
            chunks = [by_clause(clause, voice=voice, speed=options.speed)]
        else:
            chunks = list(synthesizer.synthesize(clause, voice=voice, speed=options.speed))
    except SpeechError as error:
        if error.code != "tts_failed":
            raise
        log.warning("skipping a clause the TTS engine could not speak: %r", clause[:80])
        return []
    if options.sample_rate is None:
        return chunks
    return [
        AudioChunk(
            samples=resample(c.samples, c.sample_rate, options.sample_rate),
            sample_rate=options.sample_rate,
            text=c.text,
        )
        if c.sample_rate != options.sample_rate
        else c
        for c in chunks
    ]


def _deltas(text: str | Iterable[str]) -> Iterable[str]:
    return [text] if isinstance(text, str) else text


def speak(
    synthesizer: Synthesizer, text: str | Iterable[str], options: SpeakOptions = SpeakOptions()
) -> Iterator[AudioChunk]:
    """Speak an answer (markdown) or a stream of text deltas: ordered chunks, the first clause first."""
    voice = pick_voice(synthesizer, options.voice, strict=options.strict_voice)
    stream = SentenceStream(first_clause_chars=options.first_clause_chars)
    for delta in _deltas(text):
        for clause in stream.feed(delta):
            yield from render_clause(synthesizer, clause, voice, options)
    for clause in stream.flush():
        yield from render_clause(synthesizer, clause, voice, options)


async def _aiter(text: str | Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(text, AsyncIterable):
        async for delta in text:
            yield delta
    else:
        for delta in _deltas(text):
            yield delta


async def aspeak(
    synthesizer: Synthesizer,
    text: str | Iterable[str] | AsyncIterable[str],
    options: SpeakOptions = SpeakOptions(),
    *,
    interrupt: asyncio.Event | None = None,
) -> AsyncIterator[AudioChunk]:
    """Async ``speak``: clauses are synthesized in a worker thread as soon as their sentence has streamed in.

    Ends early (without error) once ``interrupt`` is set; the clause being synthesized is then discarded.
    """
    voice = await asyncio.to_thread(pick_voice, synthesizer, options.voice, strict=options.strict_voice)
    clauses: asyncio.Queue[str | None] = asyncio.Queue()
    stream = SentenceStream(first_clause_chars=options.first_clause_chars)

    async def split() -> None:
        try:
            async for delta in _aiter(text):
                for clause in stream.feed(delta):
                    clauses.put_nowait(clause)
            for clause in stream.flush():
                clauses.put_nowait(clause)
        finally:
            clauses.put_nowait(None)

    splitter = asyncio.create_task(split())
    try:
        while (clause := await clauses.get()) is not None:
            if interrupt is not None and interrupt.is_set():
                break
            chunks = await asyncio.to_thread(render_clause, synthesizer, clause, voice, options)
            for chunk in chunks:
                if interrupt is not None and interrupt.is_set():
                    return
                yield chunk
        await splitter  # re-raise a failure of the text stream
    finally:
        if not splitter.done():
            splitter.cancel()
