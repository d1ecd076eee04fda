"""A speculative answer's moving parts (used by ``agent.voice.loop``): the answer being spoken, the gate that holds
a draft's events until its utterance is confirmed, the draft itself and the speculation it belongs to."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from agent.checkpoint import HeldCheckpoints
from agent.speech.base import Transcript
from agent.voice.events import VoiceEvent

Emit = Callable[[VoiceEvent], Awaitable[None]]


@contextlib.asynccontextmanager
async def closing(stream: AsyncIterator[object]) -> AsyncIterator[None]:
    """``contextlib.aclosing`` for any async iterator (an async generator is closed, so its ``finally`` runs now)."""
    try:
        yield
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()


@dataclass
class Answer:
    turn: int
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    speaking: bool = True  # synthesis not finished yet (playback may go on until ``VoiceLoop._playing_until``)
    first_audio: float | None = None  # wall time its first audio was sent


class Gate:
    """Holds a draft's events until ``open()`` (the utterance is confirmed), then sends them in order, then lets
    the rest through."""

    def __init__(self, send: Emit) -> None:
        self._send = send
        self._held: list[VoiceEvent] = []
        self.opened = asyncio.Event()

    async def __call__(self, event: VoiceEvent) -> None:
        if self.opened.is_set():
            await self._send(event)
        else:
            self._held.append(event)

    async def open(self) -> None:
        while self._held:  # events the draft adds meanwhile are appended here and sent in turn
            await self._send(self._held.pop(0))
        self.opened.set()


@dataclass
class Draft:
    """A speculative answer to the speculative transcript ``question`` (see the module docstring)."""

    question: str
    answer: Answer
    gate: Gate
    hold: HeldCheckpoints
    timings: dict[str, float]
    marks: dict[str, float]
    task: asyncio.Task[None] | None = None
    started: bool = False  # it holds the agent lock and is answering


@dataclass
class Speculation:
    speech_end_s: float  # the VAD's end of speech (-1 while an early one waits for the VAD's pause)
    task: asyncio.Task[Transcript]
    early_at_s: float | None = None  # stream time of the quiet cue that started it, until the VAD's pause confirms it
    draft: Draft | None = None
    starter: asyncio.Task[None] | None = None
    # Set when the user went on speaking (or a new turn began): a recognition still waiting for the recognizer
    # is then skipped instead of run (one already running finishes; its result is ignored).
    stale: threading.Event = field(default_factory=threading.Event)
