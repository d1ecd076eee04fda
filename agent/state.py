"""The graph state: the conversation (checkpointed per conversation id) plus per-turn bookkeeping.

Per-turn fields are reset by the ``input`` node at the start of every turn.
Everything here is JSON-like so the checkpointer can store it; large objects (full query results,
audio) travel in the per-turn side channel ``agent.context.TurnSink``.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class SqlRun(TypedDict):
    call_id: str
    statement: str
    row_count: int | None
    elapsed_ms: float | None
    error_code: str | None
    error_message: str | None


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    conversation_id: str
    connection: str | None
    """Active connection (saved name or URL); None = the tool context's default (demo)."""
    connection_name: str | None
    dialect: str | None
    schema_context: str | None
    # --- per turn ---------------------------------------------------------------
    question: str | None
    transcript: str | None
    sql_runs: list[SqlRun]
    sql_attempts: int
    steps: int
    tool_calls: int
    timings: dict[str, float]
    """Milliseconds: stt_ms, llm_first_token_ms, llm_total_ms, sql_ms, tools_ms, tts_first_audio_ms, tts_total_ms."""
    tokens: dict[str, int]
    answer: str | None
    audio_out: str | None
    """Handle of the synthesized answer in the turn's side channel (``TurnSink.audio``)."""
    error_code: str | None
    error_message: str | None
    error_reason: str | None
    """Why the turn failed, finer than ``error_code`` (``llm_error``: the ``LLMFailure`` kind, e.g. ``timeout``)."""


PER_TURN_RESET: AgentState = {
    "schema_context": None,
    "connection_name": None,
    "dialect": None,
    "transcript": None,
    "sql_runs": [],
    "sql_attempts": 0,
    "steps": 0,
    "tool_calls": 0,
    "timings": {},
    "tokens": {},
    "answer": None,
    "audio_out": None,
    "error_code": None,
    "error_message": None,
    "error_reason": None,
}
