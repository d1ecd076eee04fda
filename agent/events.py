"""Typed events streamed by ``Agent.astream_turn`` and the turn result every surface consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel

from agent.speech.base import AudioChunk


@dataclass(frozen=True)
class TranscriptEvent:
    transcript: str


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class ToolStartEvent:
    call_id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class ToolEndEvent:
    call_id: str
    name: str
    result: BaseModel | None
    error: dict[str, Any] | None
    elapsed_ms: float


@dataclass(frozen=True)
class AnswerEvent:
    text: str


@dataclass(frozen=True)
class AudioEvent:
    chunk: AudioChunk


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


@dataclass
class TurnResult:
    conversation_id: str
    connection: str | None
    question: str | None
    answer: str
    sql_runs: list[dict[str, Any]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)  # list[tools.safe_query.QueryResult]
    transcript: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    tool_calls: int = 0
    sql_attempts: int = 0
    tokens: dict[str, int] | None = None
    audio_wav: bytes | None = None
    error_code: str | None = None
    error_reason: str | None = None
    """Finer than ``error_code``: for ``llm_error`` the kind of provider failure (``agent.llm.failures``)."""
    tool_results: dict[str, Any] = field(default_factory=dict)
    """Every tool's full result of this turn (pydantic models), keyed by tool_call_id."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (results as dumped models, audio as its size)."""
        data = asdict(self) | {
            "results": [_dump(r) for r in self.results],
            "tool_results": {call_id: _dump(r) for call_id, r in self.tool_results.items()},
            "audio_wav": None,
        }
        data["audio_wav_bytes"] = len(self.audio_wav) if self.audio_wav else 0
        return data


@dataclass(frozen=True)
class DoneEvent:
    turn: TurnResult


AgentEvent = TranscriptEvent | TokenEvent | ToolStartEvent | ToolEndEvent | AnswerEvent | AudioEvent | DoneEvent
