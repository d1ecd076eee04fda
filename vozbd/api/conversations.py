"""``/api/v1/conversations``: the caller's conversations — list, get (turns), delete — from ``conversation_logs``.

Conversations belong to the API key that started them: turns are logged with ``user_id`` = the key's name
(``None`` when the API runs without keys) and the agent's memory lives in the ``api:<caller>:<id>`` thread, so
another key sees a 404 and never continues someone else's conversation. Deleting a conversation deletes its log
rows and its memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from vozbd.api.deps import CurrentKey, Services, rate_limited
from vozbd.api.errors import ApiError
from vozbd.api.schemas import (
    CONVERSATION_ID,
    ERROR_RESPONSES,
    Conversation,
    ConversationSummary,
    ConversationTurn,
)
from vozbd.auth import ApiKey

if TYPE_CHECKING:
    from agent.events import TurnResult
    from vozbd.appdb.logs import ConversationLogStore

router = APIRouter(
    prefix="/api/v1/conversations",
    tags=["conversations"],
    dependencies=[Depends(rate_limited)],
    responses=ERROR_RESPONSES,
)

ConversationId = Annotated[str, PathParam(pattern=CONVERSATION_ID)]
ANONYMOUS = "anonymous"


def caller_of(key: ApiKey | None) -> str:
    return key.name if key else ANONYMOUS


def thread_id(caller: str, conversation_id: str) -> str:
    """The checkpointer thread of a caller's conversation (callers never share memory)."""
    return f"api:{caller}:{conversation_id}"


class LoggedConversations:
    """Conversations as written to ``conversation_logs`` (ops' ``ConversationLogStore``) plus the agent memory."""

    def __init__(self, logs: ConversationLogStore, forget: Callable[[str], Awaitable[None]]):
        self.logs = logs
        self._forget = forget

    @staticmethod
    def _user(caller: str) -> str | None:
        return None if caller == ANONYMOUS else caller

    async def record(
        self, turn: TurnResult, *, caller: str, conversation_id: str, model: str | None, surface: str = "api"
    ) -> None:
        """Write the turn (committed before the caller gets its answer); ``AppDatabaseError`` → 503."""
        from vozbd.appdb.logs import TurnLog

        row = TurnLog.from_turn(turn, surface=surface, user_id=self._user(caller), model=model)  # type: ignore[arg-type]  # surface is one of TurnLog's Literal values, given by the route
        await self.logs.awrite_turn(row.model_copy(update={"conversation_id": conversation_id}))

    async def list(self, caller: str, limit: int) -> list[ConversationSummary]:
        found = await self.logs.alist_conversations(user_id=self._user(caller), limit=limit)
        return [ConversationSummary(**summary.model_dump()) for summary in found]

    async def get(self, caller: str, conversation_id: str) -> Conversation | None:
        turns = await self.logs.aget_conversation(conversation_id, user_id=self._user(caller))
        if not turns:
            return None
        return Conversation(conversation_id=conversation_id, turns=[_turn(t) for t in turns])

    async def delete(self, caller: str, conversation_id: str) -> bool:
        deleted = await self.logs.adelete_conversation(conversation_id, user_id=self._user(caller))
        await self._forget(thread_id(caller, conversation_id))
        return deleted > 0


def _turn(row: Any) -> ConversationTurn:
    return ConversationTurn(at=row.created_at, **row.model_dump(exclude={"id", "created_at", "conversation_id"}))


def _not_found(conversation_id: str) -> ApiError:
    return ApiError(404, "conversation_not_found", f"Conversa '{conversation_id}' não encontrada.")


@router.get("", summary="Your conversations, most recently active first")
async def list_conversations(
    services: Services, key: CurrentKey, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ConversationSummary]:
    return await services.conversations.list(caller_of(key), limit)


@router.get("/{conversation_id}", summary="The turns of one conversation, oldest first")
async def get_conversation(conversation_id: ConversationId, services: Services, key: CurrentKey) -> Conversation:
    found = await services.conversations.get(caller_of(key), conversation_id)
    if found is None:
        raise _not_found(conversation_id)
    return found


@router.delete("/{conversation_id}", status_code=204, summary="Delete a conversation: its turns and its memory")
async def delete_conversation(conversation_id: ConversationId, services: Services, key: CurrentKey) -> Response:
    if not await services.conversations.delete(caller_of(key), conversation_id):
        raise _not_found(conversation_id)
    return Response(status_code=204)
