"""The facade every surface uses (UI, evals, CLI, REST): ``Agent.astream_turn`` / ``ask`` / ``ask_sync``.

It binds the registry's tools to the model once, builds the per-turn runtime context, runs the graph with the
conversation's checkpoint in a task of its own and yields the typed events its nodes put on the turn's queue as
they come, ending with ``DoneEvent``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent import prompts
from agent.checkpoint import CheckpointStore, HeldCheckpoints, MemoryUnavailableError, SqliteCheckpoints
from agent.config import AgentConfig
from agent.context import AgentContext, TurnSink
from agent.events import AgentEvent, AnswerEvent, DoneEvent, TurnResult
from agent.graph import build_graph, turn_input
from agent.tools import SQL_TOOL, masked_connection, persistable_connection, tool_schemas

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph.state import CompiledStateGraph

    from agent.memory_context import MemoryProvider
    from agent.speech.base import Synthesizer, Transcriber
    from tools.context import ToolContext
    from tools.registry import ToolSpec

log = logging.getLogger(__name__)

INTERNAL_ERROR_ANSWER = "Desculpe, ocorreu um erro interno ao processar a pergunta. Tente novamente."


class Agent:
    """A conversational agent over the tools. Safe to share; each turn gets its own runtime context."""

    def __init__(
        self,
        tool_ctx: ToolContext,
        llm: BaseChatModel | None,
        *,
        checkpointer: BaseCheckpointSaver | CheckpointStore | Path | None = None,
        transcriber: Transcriber | None = None,
        synthesizer_factory: Callable[[str | None], Synthesizer] | None = None,
        config: AgentConfig | None = None,
        tools: Sequence[ToolSpec] | None = None,
        model_spec: str | None = None,
        memory: MemoryProvider | None = None,
    ):
        from tools.registry import all_tools

        self.tool_ctx = tool_ctx
        self.llm = llm
        self.memory = memory
        """Opens the connection memory (verified examples and glossary for the prompt); None = none."""
        self.model_spec = model_spec
        """``provider/model`` of ``llm`` when known (recorded in the conversation log)."""
        self.config = config or AgentConfig()
        self.tools: tuple[ToolSpec, ...] = tuple(tools) if tools is not None else all_tools()
        self.transcriber = transcriber
        self.synthesizer_factory = synthesizer_factory
        self.model = llm.bind_tools(tool_schemas(self.tools)) if llm is not None else None
        self._checkpoints: CheckpointStore | None = (
            SqliteCheckpoints(checkpointer)
            if isinstance(checkpointer, Path)
            else checkpointer
            if isinstance(checkpointer, CheckpointStore)
            else None
        )
        self._graph = build_graph(checkpointer if isinstance(checkpointer, BaseCheckpointSaver) else None)
        self._last_saver_graph: tuple[BaseCheckpointSaver, CompiledStateGraph[Any, Any, Any, Any]] | None = None

    @property
    def has_model(self) -> bool:
        return self.model is not None

    def _graph_for_turn(
        self, hold: HeldCheckpoints | None = None
    ) -> AbstractAsyncContextManager[CompiledStateGraph[Any, Any, Any, Any]]:
        if self._checkpoints is not None:
            return self._graph_with_saver(self._checkpoints, hold)
        saver = self._graph.checkpointer
        if hold is None or not isinstance(saver, BaseCheckpointSaver):
            return nullcontext(self._graph)
        return self._graph_holding(hold, saver)

    @asynccontextmanager
    async def _graph_with_saver(
        self, store: CheckpointStore, hold: HeldCheckpoints | None = None
    ) -> AsyncIterator[CompiledStateGraph[Any, Any, Any, Any]]:
        async with store.saver() as saver:
            if hold is None:
                yield self._graph_with(saver)
                return
            async with hold.holding(saver, store.saver) as held:
                yield self._graph.copy(update={"checkpointer": held})

    def _graph_with(self, saver: BaseCheckpointSaver) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The compiled graph with ``saver``: compiling per turn would cost tens of milliseconds, copying ~45 µs,
        so the copy for the last saver is kept (a server's store hands out the same saver every turn)."""
        last = self._last_saver_graph
        if last is None or last[0] is not saver:
            last = self._last_saver_graph = (saver, self._graph.copy(update={"checkpointer": saver}))
        return last[1]

    @asynccontextmanager
    async def _graph_holding(
        self, hold: HeldCheckpoints, saver: BaseCheckpointSaver
    ) -> AsyncIterator[CompiledStateGraph[Any, Any, Any, Any]]:
        async with hold.holding(saver, lambda: nullcontext(saver)) as held:
            yield self._graph.copy(update={"checkpointer": held})

    async def astream_turn(
        self,
        *,
        question: str | None = None,
        audio: bytes | None = None,
        pcm16_rate: int | None = None,
        conversation_id: str,
        connection: str | None = None,
        speak: bool = False,
        voice: str | None = None,
        speed: float | None = None,
        tts_engine: str | None = None,
        hold: HeldCheckpoints | None = None,
    ) -> AsyncGenerator[AgentEvent, None]:
        """Run one turn, yielding Transcript/Token/ToolStart/ToolEnd/Answer/Audio events and finally DoneEvent.

        ``hold``: keep this turn's memory writes in ``hold`` until ``hold.commit()`` (a speculative turn that may
        be discarded); without it the turn is remembered when it ends.
        """
        start = time.perf_counter()
        sink = TurnSink()
        # The nodes put their events here and this generator yields them as they come: LangGraph's custom stream
        # would cost a thread-safe hand-over (self-pipe write) and a waiter task per token.
        events: asyncio.Queue[AgentEvent | None] = asyncio.Queue()
        context = AgentContext(
            tool_ctx=self.tool_ctx,
            tools=self.tools,
            model=self.model,
            llm=self.llm,
            memory=self.memory,
            table_picker_min_tables=self.config.table_picker_min_tables,
            max_sql_attempts=self.config.max_sql_attempts,
            max_steps=self.config.max_steps,
            history_turns=self.config.history_turns,
            connection=connection,
            audio=audio,
            pcm16_rate=pcm16_rate,
            transcriber=self.transcriber,
            synthesizer_factory=self.synthesizer_factory,
            tts_engine=tts_engine,
            speak=speak,
            voice=voice,
            speed=speed,
            sink=sink,
            emit=events.put_nowait,
        )
        remembered = connection if persistable_connection(connection) else None  # for the conversation's next turns
        inputs = turn_input(context, conversation_id=conversation_id, question=question, connection=remembered)
        run_config: RunnableConfig = {
            "configurable": {"thread_id": conversation_id},
            "recursion_limit": 2 * self.config.max_steps + 8,
        }
        state: list[dict[str, Any]] = [{}]  # the state after the last step run (also when the graph raises)
        try:
            async with self._graph_for_turn(hold) as graph:
                run = asyncio.create_task(_run_graph(graph, inputs, run_config, context, events, state))
                try:
                    while (event := await events.get()) is not None:
                        yield event
                    await run  # the graph's exception, if it raised
                finally:
                    if not run.done():  # the consumer stopped early (closed the stream, was cancelled)
                        run.cancel()
                        with suppress(asyncio.CancelledError):
                            await run
                    elif not run.cancelled():
                        run.exception()  # seen: a consumer gone before the end leaves no "never retrieved" warning
            final = state[0]
        except MemoryUnavailableError:
            raise  # infrastructure, not an answer: the surface maps it (HTTP 503) and the client retries
        except Exception:  # a bug, not bad input: log with traceback, still end the turn with a pt-BR answer
            log.exception("agent turn failed (conversation %s)", conversation_id)
            failed = {"answer": INTERNAL_ERROR_ANSWER, "error_code": "internal_error"}
            final = dict(state[0]) | (sink.ended or {}) | failed
            yield AnswerEvent(INTERNAL_ERROR_ANSWER)
        yield DoneEvent(self._turn_result(final, sink, conversation_id, connection, question, start))

    def _turn_result(
        self,
        state: dict[str, Any],
        sink: TurnSink,
        conversation_id: str,
        connection: str | None,
        question: str | None,
        start: float,
    ) -> TurnResult:
        timings = dict(state.get("timings") or {})
        timings["total_ms"] = round((time.perf_counter() - start) * 1000, 3)
        audio_wav = None
        if sink.audio:
            from agent.speech.audio import to_wav_bytes

            audio_wav = to_wav_bytes(sink.audio)
        return TurnResult(
            conversation_id=conversation_id,
            connection=state.get("connection_name") or state.get("connection") or masked_connection(connection),
            question=state.get("question") or question,
            answer=state.get("answer") or prompts.EMPTY_ANSWER,
            sql_runs=[dict(run) for run in state.get("sql_runs") or []],
            results=list(sink.query_results),
            transcript=state.get("transcript"),
            timings=timings,
            steps=state.get("steps", 0),
            tool_calls=state.get("tool_calls", 0),
            sql_attempts=state.get("sql_attempts", 0),
            tokens=state.get("tokens") or None,
            audio_wav=audio_wav,
            error_code=state.get("error_code"),
            error_reason=state.get("error_reason"),
            tool_results=dict(sink.results),
        )

    async def forget(self, conversation_id: str) -> None:
        """Delete a conversation's memory (every checkpoint of its thread); unknown ids are a no-op."""
        async with self._graph_for_turn() as graph:
            if isinstance(graph.checkpointer, BaseCheckpointSaver):
                await graph.checkpointer.adelete_thread(conversation_id)

    async def ask(self, **kwargs: Any) -> TurnResult:
        """Run one turn to completion (same arguments as ``astream_turn``)."""
        turn: TurnResult | None = None
        async for event in self.astream_turn(**kwargs):
            if isinstance(event, DoneEvent):
                turn = event.turn
        if turn is None:  # astream_turn always ends with a DoneEvent
            raise RuntimeError("agent turn ended without a DoneEvent")
        return turn

    def ask_sync(self, **kwargs: Any) -> TurnResult:
        """``ask`` for synchronous callers (not from inside a running event loop)."""
        return asyncio.run(self.ask(**kwargs))


async def _run_graph(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    inputs: dict[str, Any],
    config: RunnableConfig,
    context: AgentContext,
    events: asyncio.Queue[AgentEvent | None],
    state: list[dict[str, Any]],
) -> None:
    """Run one turn's graph, keeping the state after each step in ``state[0]``; ``None`` on ``events`` ends it."""
    try:
        async for values in graph.astream(inputs, config, context=context, stream_mode="values", durability="exit"):
            state[0] = values
    finally:
        events.put_nowait(None)


__all__ = ["SQL_TOOL", "Agent", "AgentConfig", "TurnResult"]
