"""The typed record of one scored question (one line of ``results.jsonl``).

The runner builds it, ``runfiles`` writes and reads it, ``summary`` and ``report`` aggregate it. Unknown keys in
an older results file are ignored; a line that is not a valid record is dropped when loading (like a half-written
last line).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Mode = Literal["text", "voice"]


class SqlTraceItem(BaseModel):
    sql: str | None = None
    error_code: str | None = None


class EvalRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    mode: Mode = "text"
    question: str = ""
    tags: list[str] = Field(default_factory=list)
    difficulty: str | None = None
    db: str | None = None
    dialect: str | None = None
    # voice mode
    transcript: str | None = None
    wer: float | None = None
    tts_ms: float | None = None
    stt_ms: float | None = None
    # the agent's turn
    sent_question: str | None = None
    answer: str | None = None
    error_code: str | None = None
    detail: str | None = None
    sql_runs: int = 0
    sql_trace: list[SqlTraceItem] = Field(default_factory=list)
    sql_attempts: int = 0
    sql_retries: int = 0
    sql_errors: int = 0
    unsafe_rejections: int = 0
    steps: int | None = None
    tool_calls: int | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_ms: float | None = None
    llm_ms: float | None = None
    sql_ms: float | None = None
    eval_ms: float | None = None
    # scoring
    gold_sql: str | None = None
    pred_sql: str | None = None
    valid: bool = False
    match: bool | None = None
    """True/False when scored; None when the gold SQL failed (not scored)."""
    ordered: bool | None = None
    truncated: bool = False
    gold_rows: int | None = None
    gold_preview: list[list[Any]] | None = None
    pred_rows: int | None = None
    pred_preview: list[list[Any]] | None = None
    pred_error: str | None = None
    gold_error: str | None = None
    outcome: str = "?"
    reason: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    def to_json_line(self) -> str:
        return self.model_dump_json() + "\n"


__all__ = ["EvalRecord", "Mode", "SqlTraceItem"]
