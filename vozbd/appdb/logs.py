"""``conversation_logs`` repository: every turn on every surface, written before the surface acknowledges it.

Surfaces build a ``TurnLog`` (``TurnLog.from_turn`` for an agent ``TurnResult``) and call ``write_turn``; it is
idempotent on ``turn_id``, so it retries once on a dropped connection without writing the row twice.
Methods are synchronous (SQLAlchemy Core); async callers use the ``a*`` variants, which run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from vozbd.appdb.errors import AppDatabaseError
from vozbd.appdb.models import MAX_CONVERSATION_ID, conversation_logs
from vozbd.appdb.text import storable_row
from vozbd_core.autocommit import single_statement_engine

if TYPE_CHECKING:
    from agent.events import TurnResult

log = logging.getLogger(__name__)

Surface = Literal["ui", "api", "voice", "cli", "mcp"]
InputMode = Literal["text", "voice"]


def new_turn_id() -> str:
    return uuid.uuid4().hex


class TurnLog(BaseModel):
    """One turn as stored in ``conversation_logs``."""

    id: int | None = None
    turn_id: str = Field(default_factory=new_turn_id)
    conversation_id: str = Field(min_length=1, max_length=MAX_CONVERSATION_ID)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    user_id: str | None = Field(None, max_length=255, description="User name or API key id; never a secret.")
    surface: Surface
    input_mode: InputMode = "text"
    connection: str | None = None
    transcript: str | None = None
    question: str | None = None
    sql: str | None = None
    row_count: int | None = None
    answer: str | None = None
    model: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    error: str | None = None
    error_message: str | None = None

    @classmethod
    def from_turn(
        cls,
        turn: TurnResult,
        *,
        surface: Surface,
        user_id: str | None = None,
        model: str | None = None,
        input_mode: InputMode | None = None,
        turn_id: str | None = None,
        error_message: str | None = None,
    ) -> TurnLog:
        """The log row of an agent turn: the last successful SQL (else the last attempted) and its row count."""
        runs = turn.sql_runs
        ok = [run for run in runs if not run.get("error_code")]
        chosen = (ok or runs)[-1] if runs else None
        mode: InputMode = input_mode or ("voice" if turn.transcript is not None else "text")
        failed_message = chosen.get("error_message") if chosen and chosen.get("error_code") else None
        return cls(
            turn_id=turn_id or new_turn_id(),
            conversation_id=turn.conversation_id,
            user_id=user_id,
            surface=surface,
            input_mode=mode,
            connection=turn.connection,
            transcript=turn.transcript,
            question=turn.question,
            sql=chosen.get("statement") if chosen else None,
            row_count=chosen.get("row_count") if chosen else None,
            answer=turn.answer,
            model=model,
            timings={k: float(v) for k, v in turn.timings.items()},
            error=turn.error_code,
            error_message=error_message or (failed_message if turn.error_code else None),
        )


class ConversationSummary(BaseModel):
    conversation_id: str
    user_id: str | None
    turns: int
    first_question: str | None
    started_at: datetime
    last_at: datetime


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes (stored in UTC); PostgreSQL returns aware ones.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_INSERT = insert(conversation_logs)  # built once; values bound at execution (compiled form cached)


class ConversationLogStore:
    """Reads and writes ``conversation_logs`` on the app database engine (migrated beforehand)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._one_statement = single_statement_engine(engine)

    @contextmanager
    def _unavailable_as_typed(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise
        except DBAPIError as error:
            log.warning("app database error: %s", str(error.orig or error).strip())
            raise AppDatabaseError(detail={"reason": type(error.orig or error).__name__}) from error

    # --- writes ------------------------------------------------------------------------------
    def write_turn(self, turn: TurnLog) -> TurnLog:
        """Insert the turn (committed when this returns); returns it with its ``id``. Idempotent on ``turn_id``."""
        values = storable_row(turn.model_dump(exclude={"id"}))
        values["created_at"] = _aware(turn.created_at).astimezone(UTC)
        for attempt in (1, 2):
            try:
                with self._unavailable_as_typed(), self._one_statement.begin() as conn:
                    new_id = conn.execute(_INSERT, values).inserted_primary_key
                return turn.model_copy(update={"id": new_id[0] if new_id else None})
            except IntegrityError:
                existing = self._by_turn_id(turn.turn_id)
                if existing is None:
                    raise
                return existing  # a retry after a commit whose acknowledgement was lost
            except AppDatabaseError:
                if attempt == 2:
                    raise
                log.info("retrying turn %s on a fresh app database connection", turn.turn_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def delete_conversation(self, conversation_id: str, *, user_id: str | None = None) -> int:
        """Delete a conversation's turns (only ``user_id``'s when given); returns how many rows went."""
        statement = delete(conversation_logs).where(conversation_logs.c.conversation_id == conversation_id)
        if user_id is not None:
            statement = statement.where(conversation_logs.c.user_id == user_id)
        with self._unavailable_as_typed(), self.engine.begin() as conn:
            return int(conn.execute(statement).rowcount or 0)

    # --- reads -------------------------------------------------------------------------------
    def list_turns(
        self,
        *,
        conversation_id: str | None = None,
        user_id: str | None = None,
        since: datetime | None = None,
        surface: Surface | None = None,
        limit: int | None = None,
    ) -> list[TurnLog]:
        """Turns in the order they were written, filtered; ``limit`` keeps the most recent ones."""
        c = conversation_logs.c
        statement = select(conversation_logs)
        if conversation_id is not None:
            statement = statement.where(c.conversation_id == conversation_id)
        if user_id is not None:
            statement = statement.where(c.user_id == user_id)
        if since is not None:
            statement = statement.where(c.created_at >= _aware(since).astimezone(UTC))
        if surface is not None:
            statement = statement.where(c.surface == surface)
        if limit is not None:
            statement = statement.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        else:
            statement = statement.order_by(c.created_at, c.id)
        with self._unavailable_as_typed(), self.engine.connect() as conn:
            rows = [self._row(row._mapping) for row in conn.execute(statement)]
        return rows[::-1] if limit is not None else rows

    def get_conversation(self, conversation_id: str, *, user_id: str | None = None) -> list[TurnLog]:
        """A conversation's turns, oldest first (empty when unknown or not ``user_id``'s)."""
        return self.list_turns(conversation_id=conversation_id, user_id=user_id)

    def list_conversations(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[ConversationSummary]:
        """Conversations, most recently active first."""
        c = conversation_logs.c
        last_at = func.max(c.created_at).label("last_at")
        statement = (
            select(
                c.conversation_id,
                func.min(c.user_id).label("user_id"),
                func.count().label("turns"),
                func.min(c.created_at).label("started_at"),
                last_at,
            )
            .group_by(c.conversation_id)
            .order_by(last_at.desc(), c.conversation_id)
            .limit(limit)
            .offset(offset)
        )
        if user_id is not None:
            statement = statement.where(c.user_id == user_id)
        with self._unavailable_as_typed(), self.engine.connect() as conn:
            groups = list(conn.execute(statement))
            first: dict[str, str | None] = {}
            if groups:
                ids = [g.conversation_id for g in groups]
                ranked = (
                    select(c.conversation_id, c.question, c.transcript)
                    .where(c.conversation_id.in_(ids))
                    .order_by(c.conversation_id, c.created_at, c.id)
                )
                for row in conn.execute(ranked):
                    first.setdefault(row.conversation_id, row.question or row.transcript)
        return [
            ConversationSummary(
                conversation_id=g.conversation_id,
                user_id=g.user_id,
                turns=int(g.turns),
                first_question=first.get(g.conversation_id),
                started_at=_aware(g.started_at),
                last_at=_aware(g.last_at),
            )
            for g in groups
        ]

    def count(self) -> int:
        with self._unavailable_as_typed(), self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(conversation_logs)).scalar_one())

    # --- async wrappers (FastAPI / Chainlit handlers) --------------------------------------------
    async def awrite_turn(self, turn: TurnLog) -> TurnLog:
        return await asyncio.to_thread(self.write_turn, turn)

    async def aget_conversation(self, conversation_id: str, *, user_id: str | None = None) -> list[TurnLog]:
        return await asyncio.to_thread(self.get_conversation, conversation_id, user_id=user_id)

    async def alist_conversations(self, **kwargs: Any) -> list[ConversationSummary]:
        return await asyncio.to_thread(lambda: self.list_conversations(**kwargs))

    async def adelete_conversation(self, conversation_id: str, *, user_id: str | None = None) -> int:
        return await asyncio.to_thread(self.delete_conversation, conversation_id, user_id=user_id)

    # --- helpers -----------------------------------------------------------------------------
    def _by_turn_id(self, turn_id: str) -> TurnLog | None:
        with self._unavailable_as_typed(), self.engine.connect() as conn:
            row = conn.execute(select(conversation_logs).where(conversation_logs.c.turn_id == turn_id)).first()
        return self._row(row._mapping) if row is not None else None

    @staticmethod
    def _row(mapping: Any) -> TurnLog:
        data = dict(mapping)
        data["created_at"] = _aware(data["created_at"])
        data["timings"] = data.get("timings") or {}
        return TurnLog.model_validate(data)
