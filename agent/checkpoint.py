"""Conversation memory: a LangGraph checkpointer keyed by conversation id (``thread_id``).

Default: a SQLite file (``Settings.checkpoint_file``) through ``AsyncSqliteSaver``; in-memory for tests.
The SQLite saver is opened per turn (``sqlite_checkpointer``) so one ``Agent`` works from any event loop
(CLI ``asyncio.run``, Chainlit, evals); opening a local SQLite file costs about a millisecond.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver


def memory_checkpointer() -> BaseCheckpointSaver:
    return InMemorySaver()


@asynccontextmanager
async def sqlite_checkpointer(path: Path) -> AsyncIterator[BaseCheckpointSaver]:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(path)) as conn:
        # The saver switches the file to WAL; in WAL mode synchronous=NORMAL is safe against application crashes
        # (a power cut may lose the last turn) and avoids an fsync per checkpoint.
        await conn.execute("PRAGMA synchronous=NORMAL")
        yield AsyncSqliteSaver(conn)
