"""``/api/v1/conversations``: the caller's conversations — list, get (turns), delete.

Conversations belong to the API key that started them (``api:<key name>:<id>`` threads); another key sees a 404.
The turns are read from the agent's memory (the LangGraph checkpointer), which is what a conversation resumes
from; deleting a conversation deletes that memory.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from vozbd.api.deps import CurrentKey, Services, caller_name, rate_limited
from vozbd.api.errors import ApiError
from vozbd.api.schemas import (
    CONVERSATION_ID,
    ERROR_RESPONSES,
    Conversation,
    ConversationSummary,
    ConversationTurn,
)

router = APIRouter(
    prefix="/api/v1/conversations",
    tags=["conversations"],
    dependencies=[Depends(rate_limited)],
    responses=ERROR_RESPONSES,
)

ConversationId = Annotated[str, PathParam(pattern=CONVERSATION_ID)]


def _prefix(caller: str) -> str:
    return f"api:{caller}:"


def _turns(messages: list[Any]) -> list[ConversationTurn]:
    turns: list[ConversationTurn] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            turns.append(ConversationTurn(question=str(message.content), answer=None))
        elif turns and isinstance(message, AIMessage) and not message.tool_calls and message.content:
            turns[-1].answer = str(message.content)
        elif turns and isinstance(message, ToolMessage):
            sql = (message.artifact or {}).get("sql") if isinstance(message.artifact, dict) else None
            if sql:
                turns[-1].sql.append(sql)
    return turns


class CheckpointConversations:
    """Conversations as stored by the SQLite checkpointer (``Settings.checkpoint_file``)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    async def record(self, turn: Any, **_: Any) -> None:
        """Nothing to add: the checkpointer already holds the turn."""

    def _thread_ids(self, prefix: str, limit: int) -> list[str]:
        if not self.path.is_file():
            return []
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5) as conn:
            try:
                rows = conn.execute(
                    "SELECT thread_id, MAX(checkpoint_id) AS last FROM checkpoints WHERE thread_id >= ? AND "
                    "thread_id < ? GROUP BY thread_id ORDER BY last DESC LIMIT ?",
                    (prefix, prefix + "\uffff", limit),
                ).fetchall()
            except sqlite3.OperationalError:  # no checkpoint table yet
                return []
        return [row[0] for row in rows]

    async def _messages(self, thread: str) -> list[Any] | None:
        from agent.checkpoint import sqlite_checkpointer

        if not self.path.is_file():
            return None
        async with sqlite_checkpointer(self.path) as saver:
            found = await saver.aget_tuple({"configurable": {"thread_id": thread}})
        if found is None:
            return None
        return list(found.checkpoint.get("channel_values", {}).get("messages", []))

    async def list(self, caller: str, limit: int) -> list[ConversationSummary]:
        prefix = _prefix(caller)
        summaries = []
        for thread in await run_in_threadpool(self._thread_ids, prefix, limit):
            turns = _turns(await self._messages(thread) or [])
            summaries.append(
                ConversationSummary(
                    conversation_id=thread.removeprefix(prefix),
                    turns=len(turns),
                    last_question=turns[-1].question if turns else None,
                )
            )
        return summaries

    async def get(self, caller: str, conversation_id: str) -> Conversation | None:
        messages = await self._messages(_prefix(caller) + conversation_id)
        if messages is None:
            return None
        return Conversation(conversation_id=conversation_id, turns=_turns(messages))

    async def delete(self, caller: str, conversation_id: str) -> bool:
        from agent.checkpoint import sqlite_checkpointer

        thread = _prefix(caller) + conversation_id
        if await self._messages(thread) is None:
            return False
        async with sqlite_checkpointer(self.path) as saver:
            await saver.adelete_thread(thread)
        return True


def _not_found(conversation_id: str) -> ApiError:
    return ApiError(404, "conversation_not_found", f"Conversa '{conversation_id}' não encontrada.")


@router.get("", summary="Your conversations, most recent first")
async def list_conversations(
    services: Services, key: CurrentKey, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ConversationSummary]:
    return await services.conversations.list(caller_name(key), limit)  # type: ignore[no-any-return]


@router.get("/{conversation_id}", summary="The turns of one conversation")
async def get_conversation(conversation_id: ConversationId, services: Services, key: CurrentKey) -> Conversation:
    found = await services.conversations.get(caller_name(key), conversation_id)
    if found is None:
        raise _not_found(conversation_id)
    return found  # type: ignore[no-any-return]


@router.delete("/{conversation_id}", status_code=204, summary="Delete a conversation and its memory")
async def delete_conversation(conversation_id: ConversationId, services: Services, key: CurrentKey) -> Response:
    if not await services.conversations.delete(caller_name(key), conversation_id):
        raise _not_found(conversation_id)
    return Response(status_code=204)
