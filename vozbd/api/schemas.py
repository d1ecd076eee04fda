"""Request and response models of API v1 (they are the OpenAPI document at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from vozbd.appdb.models import MAX_CONVERSATION_ID

CONVERSATION_ID = rf"^[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{MAX_CONVERSATION_ID - 1}}}$"
CONNECTION_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class ErrorBody(BaseModel):
    """The one error shape of every non-2xx answer."""

    code: str = Field(description="Stable machine code, e.g. unsafe_query, rate_limited, payload_too_large.")
    message: str = Field(description="What happened and what to do, in pt-BR.")
    detail: Any = Field(None, description="Structured context (validation errors, limits, retry delay) or null.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        400: "Bad request",
        401: "Missing or invalid API key",
        403: "Refused (unsafe SQL, foreign Origin, not allowed)",
        404: "Not found",
        413: "Body over the limit",
        415: "Unsupported media type",
        422: "Invalid input",
        429: "Rate limited (see Retry-After)",
        503: "A dependency is unavailable",
        504: "Timed out",
    }.items()
}


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Spaces around the question are dropped, so a blank one (only spaces) is refused like an empty one.
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] = Field(
        description="Blank (only spaces) is refused like empty.",
        examples=["quantos pedidos atrasados temos em São Paulo?"],
    )
    connection: str | None = Field(
        None, pattern=CONNECTION_NAME, description="Saved connection name (default: the server's default)."
    )
    conversation_id: str | None = Field(
        None,
        pattern=CONVERSATION_ID,
        description="Continue this conversation (memory of earlier turns); a new one is created when empty.",
    )
    model: str | None = Field(
        None, max_length=200, description='"provider/model" among the server\'s configured ones (default: its own).'
    )

    @field_validator("connection", "conversation_id", "model", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        """``""`` means "not given" (a new conversation, the default connection and model), as in the WS query."""
        return None if value == "" else value


class SqlRun(BaseModel):
    statement: str = Field(description="The SQL the agent asked to run.")
    row_count: int | None = None
    elapsed_ms: float | None = None
    error_code: str | None = None
    error_message: str | None = None


class ResultTable(BaseModel):
    connection: str
    columns: list[str]
    rows: list[list[Any]] = Field(description="At most VOZBD_API_MAX_ROWS rows.")
    row_count: int = Field(description="Rows the query returned (before the API's cap).")
    truncated: bool = Field(description="True when rows were cut by the query's or the API's row cap.")
    executed_sql: str = Field(description="The statement exactly as executed (row cap applied).")


class ChartSpec(BaseModel):
    kind: Literal["bar", "line"]
    x: str
    y: str
    title: str
    points: list[list[Any]] = Field(description="[x, y] pairs; x is a label (bar) or an ISO date (line).")


class TurnError(BaseModel):
    code: str
    message: str | None = None


class AskResponse(BaseModel):
    conversation_id: str
    answer: str = Field(description="The answer in pt-BR.")
    connection: str | None
    model: str | None
    sql: list[SqlRun] = Field(description="Every SQL statement of this turn, in order (failed ones included).")
    results: list[ResultTable]
    chart: ChartSpec | None = Field(description="Chart of the last result, when its shape calls for one.")
    timings: dict[str, float] = Field(description="Per-stage milliseconds: schema_ms, llm_first_token_ms, ...")
    error: TurnError | None = None


class SshIn(BaseModel):
    """An SSH tunnel for a saved connection, as ``vozbd db add --ssh/--ssh-key/--ssh-known-hosts``."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        min_length=1,
        max_length=300,
        description="[user@]host[:port] or a Host alias of the vozbd server's ~/.ssh/config. The URL's host and "
        "port are then as the SSH server sees them (often 127.0.0.1).",
        examples=["deploy@bastiao.exemplo.com.br:22"],
    )
    key_file: str | None = Field(
        None, max_length=4096, description="Private key file on the vozbd server (default: its SSH agent / config)."
    )
    known_hosts: str | None = Field(
        None, max_length=4096, description="Trusted host keys file on the vozbd server (default: ~/.ssh/known_hosts)."
    )


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=CONNECTION_NAME, examples=["vendas"])
    url: str = Field(
        min_length=3,
        max_length=2000,
        description="SQLAlchemy URL, e.g. postgresql://leitor@db:5432/vendas. A password in it is moved to "
        "encrypted storage and never returned.",
    )
    password: SecretStr | None = Field(None, description="Password, if not in the URL (write-only).")
    ssh: SshIn | None = Field(None, description="Reach the database through an SSH tunnel (key or agent login).")


class ConnectionOut(BaseModel):
    name: str
    dialect: str
    masked_url: str
    is_demo: bool = False
    ssh: str | None = Field(None, description="user@host:port of the SSH tunnel, when the connection has one.")


class ConnectionTest(BaseModel):
    ok: bool
    dialect: str
    server_version: str | None = None
    latency_ms: float | None = None
    reason_code: str | None = None
    message: str


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(min_length=1, max_length=100_000, examples=["SELECT uf, COUNT(*) FROM clientes GROUP BY uf"])
    max_rows: int | None = Field(None, ge=1, description="Lower row cap for this query (never above the server's).")


class SchemaQuery(BaseModel):
    tables: list[str] | None = None
    schema_: str | None = Field(None, alias="schema")


class TranscriptSegment(BaseModel):
    start: float
    end: float
    text: str


class TranscriptOut(BaseModel):
    text: str
    language: str
    confidence: float = Field(description="0..1, from the segments' average log-probability.")
    duration_s: float
    processing_s: float
    segments: list[TranscriptSegment]
    heard: str | None = Field(
        None, description="The text as recognised, before the connection's vocabulary corrected it (with `connection`)."
    )


class SpeakIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)
    voice: str | None = Field(None, max_length=64, examples=["pf_dora"])
    speed: float | None = Field(None, ge=0.5, le=2.0)
    engine: Literal["kokoro", "espeak", "coqui"] | None = None


class ConversationSummary(BaseModel):
    conversation_id: str
    turns: int
    first_question: str | None = None
    started_at: datetime
    last_at: datetime


class ConversationTurn(BaseModel):
    turn_id: str
    at: datetime
    surface: str
    input_mode: str
    transcript: str | None = None
    question: str | None = None
    sql: str | None = Field(None, description="The last successful SQL of the turn (else the last attempted).")
    row_count: int | None = None
    answer: str | None = None
    model: str | None = None
    connection: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    error: str | None = None


class Conversation(BaseModel):
    conversation_id: str
    turns: list[ConversationTurn]
