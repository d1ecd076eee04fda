"""Conversation memory: a LangGraph checkpointer keyed by conversation id (``thread_id``).

A ``CheckpointStore`` hands out a saver per turn (``async with store.saver() as saver``), so one ``Agent``
works from any event loop (CLI ``asyncio.run``, Chainlit, the server, evals):

- ``SqliteCheckpoints``: a local SQLite file through LangGraph's ``SqliteSaver`` on a thread of its own (default,
  one process). Inside a server, ``open()`` keeps one connection on the server's loop; elsewhere each turn opens
  the file;
- ``PostgresCheckpoints``: PostgreSQL through ``AsyncPostgresSaver`` — a conversation survives a restart and
  continues on another replica. Inside a server, ``open()`` binds a connection pool to the server's loop;
  elsewhere each turn opens one connection.
- ``memory_checkpointer()``: in-memory, for tests.

``HeldCheckpoints`` holds a turn's writes back until the turn is confirmed (speculative voice answers).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from tools.errors import CodedError
from vozbd_core.liveness import idle_connection_dropped

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

_T = TypeVar("_T")


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


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False)  # opened and used on the saver's own thread
    # The saver switches the file to WAL; in WAL mode synchronous=NORMAL is safe against application crashes
    # (a power cut may lose the last turn) and avoids an fsync per checkpoint.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class _ThreadedSqliteSaver(SqliteSaver):
    """LangGraph's ``SqliteSaver`` with working async methods: each operation runs whole on one dedicated thread.

    ``AsyncSqliteSaver`` (aiosqlite) hands every statement, cursor and fetch to its thread and back — about ten
    hand-overs per turn, each a wake-up and a GIL switch; under 25 concurrent turns that cost ~2.5 ms of CPU per
    turn. Here a read or a write is one hand-over. Same tables and rows as ``AsyncSqliteSaver``; the statements
    never run on the event loop, so a busy file (another process writing) or a WAL checkpoint's fsync does not
    stall other requests.
    """

    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor):
        super().__init__(conn)
        self._executor = executor

    async def _run(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._run(partial(self.get_tuple, config))

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        found = await self._run(lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
        for item in found:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self._run(partial(self.put, config, checkpoint, metadata, new_versions))

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await self._run(partial(self.put_writes, config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        await self._run(partial(self.delete_thread, thread_id))

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        return await self._run(partial(self.get_delta_channel_history, config=config, channels=channels))


@asynccontextmanager
async def sqlite_checkpointer(path: Path) -> AsyncIterator[BaseCheckpointSaver]:
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vozbd-checkpoints")
    loop = asyncio.get_running_loop()
    try:
        conn = await loop.run_in_executor(executor, _connect_sqlite, path)
        try:
            yield _ThreadedSqliteSaver(conn, executor)
        finally:
            await loop.run_in_executor(executor, conn.close)
    finally:
        executor.shutdown(wait=False)


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
# synchronous_commit=off: a checkpoint write returns without waiting for its WAL flush (an fdatasync, ~1.5 ms
# here, on the turn's path). The database stays consistent; a PostgreSQL crash or power cut may lose the last
# fraction of a second of checkpoints, the durability the SQLite memory has (WAL + synchronous=NORMAL). The
# conversation log, which acknowledges turns, keeps synchronous commits.
_CONNECT_KWARGS: dict[str, Any] = {
    "autocommit": True,
    "prepare_threshold": 0,
    "application_name": APPLICATION_NAME,
    "options": "-c synchronous_commit=off",
}


class PostgresCheckpoints:
    """Memory in PostgreSQL (the app database). Tables are created by ``setup()`` (the app's migrations call it).

    ``conninfo`` is a libpq URL (``postgresql://user@host/db``). Requires ``langgraph-checkpoint-postgres``.
    """

    def __init__(self, conninfo: str, *, pool_size: int = 10):
        self.conninfo = conninfo
        self.pool_size = pool_size
        self._pool: AsyncConnectionPool | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._pool_saver: BaseCheckpointSaver | None = None

    async def open(self) -> None:
        """Bind a connection pool to the running loop (a server's lifespan); turns on this loop use it."""
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        from agent.checkpoint_pg import PooledPostgresSaver

        if self._pool is not None:
            return
        pool = AsyncConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=self.pool_size,
            kwargs=_CONNECT_KWARGS | {"row_factory": dict_row},
            check=_check_idle,  # a backend killed since last use is replaced
            open=False,
            name="vozbd-checkpoints",
        )
        await pool.open()
        self._pool, self._pool_loop = pool, asyncio.get_running_loop()
        self._pool_saver = PooledPostgresSaver(pool)  # one for every turn (no saver-wide lock)

    async def close(self) -> None:
        pool, self._pool, self._pool_loop, self._pool_saver = self._pool, None, None, None
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def saver(self) -> AsyncIterator[BaseCheckpointSaver]:
        import psycopg
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg_pool import PoolTimeout

        try:
            if self._pool_saver is not None and self._pool_loop is asyncio.get_running_loop():
                yield self._pool_saver
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


async def _check_idle(conn: Any) -> None:
    """psycopg_pool's checkout check without a round trip: ``AsyncConnectionPool.check_connection`` runs an empty
    statement, which with ``prepare_threshold=0`` is prepared anew each time (two round trips per checkout, two
    checkouts per turn). The connection is closed before raising: the pool then discards it (a connection that
    only looks healthy would go back to the pool) and hands out another one."""
    import psycopg

    if conn.closed:
        raise psycopg.OperationalError("pooled connection closed")
    if idle_connection_dropped(conn.pgconn.socket):
        await conn.close()
        raise psycopg.OperationalError("the conversation memory's database closed this pooled connection")


SaverFactory = Callable[[], AbstractAsyncContextManager[BaseCheckpointSaver]]


class HeldCheckpoints:
    """A turn's memory writes held back until the turn is confirmed (speculative voice answers).

    Pass one to ``Agent.astream_turn(hold=...)``: the turn reads the conversation's memory as usual, but every
    checkpoint it would write stays here. ``await commit()`` (once the turn's events are exhausted) writes them to
    the conversation's memory in order; dropping the object discards them, so a turn started on a guess that
    turned out wrong (the user went on speaking) leaves no trace in the memory, even if it was cancelled midway.
    """

    def __init__(self) -> None:
        self._ops: list[Callable[[BaseCheckpointSaver], Awaitable[object]]] = []
        self._target: SaverFactory | None = None
        self._running = 0
        self.committed = False

    @property
    def pending(self) -> int:
        """How many checkpoint writes are held."""
        return len(self._ops)

    @asynccontextmanager
    async def holding(self, saver: BaseCheckpointSaver, target: SaverFactory) -> AsyncIterator[BaseCheckpointSaver]:
        """``saver`` for one run, its writes held here; ``target`` opens the saver ``commit()`` writes to."""
        if self.committed:
            raise RuntimeError("a committed HeldCheckpoints cannot hold another run")
        self._target = target
        self._running += 1
        try:
            yield _HoldingSaver(saver, self._ops)
        finally:
            self._running -= 1

    async def commit(self) -> None:
        """Write the held checkpoints to the conversation's memory (at most once; after the run has ended)."""
        if self._running:
            raise RuntimeError("commit() while the held turn is still running")
        if self.committed:
            return
        self.committed = True
        ops, self._ops = self._ops, []
        if not ops or self._target is None:
            return
        async with self._target() as saver:
            for op in ops:
                await op(saver)


class _HoldingSaver(BaseCheckpointSaver):
    """Reads go to the real saver; ``aput``/``aput_writes`` are recorded instead of written."""

    def __init__(self, inner: BaseCheckpointSaver, ops: list[Callable[[BaseCheckpointSaver], Awaitable[object]]]):
        super().__init__(serde=inner.serde)
        self._inner = inner
        self._ops = ops

    @property
    def config_specs(self) -> list:
        return self._inner.config_specs

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self._inner.get_next_version(current, channel)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._inner.aget_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async for item in self._inner.alist(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        self._ops.append(lambda saver: saver.aput(config, checkpoint, metadata, new_versions))
        conf = config["configurable"]
        return {
            "configurable": {
                "thread_id": conf["thread_id"],
                "checkpoint_ns": conf.get("checkpoint_ns", ""),
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        held = list(writes)
        self._ops.append(lambda saver: saver.aput_writes(config, held, task_id, task_path))
