"""Conversation memory: a LangGraph checkpointer keyed by conversation id (``thread_id``).

A ``CheckpointStore`` hands out a saver per turn (``async with store.saver() as saver``), so one ``Agent``
works from any event loop (CLI ``asyncio.run``, Chainlit, the server, evals):

- ``SqliteCheckpoints``: a local SQLite file through ``AsyncSqliteSaver`` (default, one process). Inside a
  server, ``open()`` keeps one connection on the server's loop; elsewhere each turn opens the file;
- ``PostgresCheckpoints``: PostgreSQL through ``AsyncPostgresSaver`` — a conversation survives a restart and
  continues on another replica. Inside a server, ``open()`` binds a connection pool to the server's loop;
  elsewhere each turn opens one connection.
- ``memory_checkpointer()``: in-memory, for tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from tools.errors import CodedError

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)


MEMORY_UNAVAILABLE_MESSAGE = (
    "A memória das conversas está indisponível no momento (banco do aplicativo); tente novamente em alguns segundos."
)


class MemoryUnavailableError(CodedError):
    """The conversation memory's database dropped the connection or cannot be reached (retryable: HTTP 503).

    Raised out of ``Agent.astream_turn`` instead of an answer: the turn may not have been remembered.
    """

    code = "memory_unavailable"


@runtime_checkable
class CheckpointStore(Protocol):
    def saver(self) -> AbstractAsyncContextManager[BaseCheckpointSaver]:
        """A checkpointer for one turn."""
        ...


@runtime_checkable
class SharedCheckpointStore(CheckpointStore, Protocol):
    """A store that can keep its connection(s) open on a server's loop for the server's lifetime."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...


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


class SqliteCheckpoints:
    """Memory in a local SQLite file.

    Inside a server, ``open()`` keeps one connection (and one saver, whose lock serialises its statements) on the
    server's loop for every turn; elsewhere each turn opens the file. Opening per turn costs a thread, a
    connection and the saver's schema check (a few milliseconds of CPU): most of a short turn's memory cost.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._shared: tuple[BaseCheckpointSaver, asyncio.AbstractEventLoop] | None = None
        self._stack: AsyncExitStack | None = None

    async def open(self) -> None:
        """Bind one connection and saver to the running loop (a server's lifespan); turns on this loop use it."""
        if self._shared is not None:
            return
        stack = AsyncExitStack()
        saver = await stack.enter_async_context(sqlite_checkpointer(self.path))
        self._stack, self._shared = stack, (saver, asyncio.get_running_loop())

    async def close(self) -> None:
        stack, self._stack, self._shared = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def saver(self) -> AbstractAsyncContextManager[BaseCheckpointSaver]:
        shared = self._shared
        if shared is not None and shared[1] is asyncio.get_running_loop():
            return nullcontext(shared[0])
        return sqlite_checkpointer(self.path)


APPLICATION_NAME = "vozbd-checkpoints"
_CONNECT_KWARGS: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0, "application_name": APPLICATION_NAME}


class PostgresCheckpoints:
    """Memory in PostgreSQL (the app database). Tables are created by ``setup()`` (the app's migrations call it).

    ``conninfo`` is a libpq URL (``postgresql://user@host/db``). Requires ``langgraph-checkpoint-postgres``.
    """

    def __init__(self, conninfo: str, *, pool_size: int = 10):
        self.conninfo = conninfo
        self.pool_size = pool_size
        self._pool: AsyncConnectionPool | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        """Bind a connection pool to the running loop (a server's lifespan); turns on this loop use it."""
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        if self._pool is not None:
            return
        pool = AsyncConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=self.pool_size,
            kwargs=_CONNECT_KWARGS | {"row_factory": dict_row},
            check=AsyncConnectionPool.check_connection,  # a backend killed since last use is replaced
            open=False,
            name="vozbd-checkpoints",
        )
        await pool.open()
        self._pool, self._pool_loop = pool, asyncio.get_running_loop()

    async def close(self) -> None:
        pool, self._pool, self._pool_loop = self._pool, None, None
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def saver(self) -> AsyncIterator[BaseCheckpointSaver]:
        import psycopg
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg_pool import PoolTimeout

        try:
            if self._pool is not None and self._pool_loop is asyncio.get_running_loop():
                yield AsyncPostgresSaver(self._pool)  # type: ignore[arg-type]  # a pool of dict_row connections
                return
            async with AsyncPostgresSaver.from_conn_string(self.conninfo) as saver:
                yield saver
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as error:
            log.warning("conversation memory unavailable: %s", str(error).strip() or type(error).__name__)
            raise MemoryUnavailableError(MEMORY_UNAVAILABLE_MESSAGE, detail={"reason": type(error).__name__}) from error

    def setup(self) -> None:
        """Create/migrate the checkpoint tables (idempotent; callers serialise concurrent starts)."""
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(self.conninfo) as saver:
            saver.setup()
