"""Typed events of the voice loop; every one carries the turn id. ``to_json()`` is the WebSocket wire form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.events import AgentEvent, AnswerEvent, TokenEvent, ToolEndEvent, ToolStartEvent


@dataclass(frozen=True)
class SpeechStarted:
    turn: int
    at_s: float  # stream time (seconds of audio received)

    def to_json(self) -> dict[str, Any]:
        return {"type": "speech_started", "turn": self.turn, "at_s": self.at_s}


@dataclass(frozen=True)
class PartialTranscript:
    """A speculative transcript (recognized at a short pause; final unless the user goes on speaking)."""

    turn: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "transcript_partial", "turn": self.turn, "text": self.text}


@dataclass(frozen=True)
class FinalTranscript:
    turn: int
    text: str
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": "transcript_final", "turn": self.turn, "text": self.text, "timings": self.timings}


@dataclass(frozen=True)
class AgentOut:
    """An agent event of this turn (tokens, tool calls, answer), forwarded as it happens."""

    turn: int
    event: AgentEvent

    def to_json(self) -> dict[str, Any]:
        event = self.event
        if isinstance(event, TokenEvent):
            return {"type": "answer_token", "turn": self.turn, "text": event.text}
        if isinstance(event, ToolStartEvent):
            return {"type": "tool_start", "turn": self.turn, "name": event.name, "args": event.args}
        if isinstance(event, ToolEndEvent):
            rows = getattr(event.result, "row_count", None)
            return {
                "type": "tool_end",
                "turn": self.turn,
                "name": event.name,
                "error": event.error,
                "row_count": rows,
                "sql": getattr(event.result, "executed_sql", None),
                "elapsed_ms": round(event.elapsed_ms, 1),
            }
        if isinstance(event, AnswerEvent):
            return {"type": "answer", "turn": self.turn, "text": event.text}
        return {"type": "agent_event", "turn": self.turn, "kind": type(event).__name__}


@dataclass(frozen=True)
class AnswerAudio:
    """PCM16 little-endian mono audio of the answer, in order (``seq`` from 0)."""

    turn: int
    seq: int
    pcm16: bytes
    sample_rate: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "audio",
            "turn": self.turn,
            "seq": self.seq,
            "sample_rate": self.sample_rate,
            "bytes": len(self.pcm16),
            "text": self.text,
        }


@dataclass(frozen=True)
class Interrupted:
    """Barge-in: the user spoke over the answer; the client must stop playing it at once."""

    turn: int

    def to_json(self) -> dict[str, Any]:
        return {"type": "interrupted", "turn": self.turn}


@dataclass(frozen=True)
class TurnDone:
    turn: int
    question: str
    answer: str
    interrupted: bool
    timings: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "turn_done",
            "turn": self.turn,
            "question": self.question,
            "answer": self.answer,
            "interrupted": self.interrupted,
            "timings": self.timings,
        }


@dataclass(frozen=True)
class Notice:
    """Something the user should know (pt-BR ``message``), e.g. nothing was understood; ``turn`` may be 0."""

    turn: int
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "notice", "turn": self.turn, "code": self.code, "message": self.message}


VoiceEvent = (
    SpeechStarted | PartialTranscript | FinalTranscript | AgentOut | AnswerAudio | Interrupted | TurnDone | Notice
)
