"""The agent as an explicit LangGraph state machine.

    START ─┬─> transcribe ─┬─> agent ⇄ tools ──> (speak?) ─> END
           │               │
           └───────────────┴─> answer ─> (speak?) ─> END

``turn_input`` starts a turn: the question, the per-turn fields reset, and the error of a turn that cannot reach
the model (empty question, no model configured); from ``START`` audio goes through ``transcribe``, such errors
to ``answer``, everything else to ``agent``. ``agent`` calls the LLM with the tools bound and the active
connection's compact schema in the system prompt; ``tools`` runs the tool calls (typed errors become tool
messages the model can act on, SQL attempts are counted). The node that ends the turn fixes the final answer
itself (``agent`` with the model's text, or an apology at the step limit or when the model fails; ``tools``
when the SQL attempts run out; ``answer`` for a configuration or speech error): a separate answer step would
cost a LangGraph superstep per turn. ``speak`` streams TTS audio when the caller wants it. Dependencies and
knobs come from ``runtime.context`` (``AgentContext``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any, Literal, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage
from langchain_core.messages.utils import message_chunk_to_message
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent import prompts
from agent.context import AgentContext
from agent.events import AgentEvent, AnswerEvent, AudioEvent, TokenEvent, ToolEndEvent, ToolStartEvent, TranscriptEvent
from agent.llm.failures import classify_llm_failure
from agent.llm.registry import CONFIGURE_MODEL_MESSAGE
from agent.state import PER_TURN_RESET, AgentState, SqlRun
from agent.tools import SQL_TOOL, dialect_rules, masked_args, run_tool, schema_context, with_active_connection

log = logging.getLogger(__name__)

Update = dict[str, Any]


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _add_timing(state: AgentState, **values: float) -> dict[str, float]:
    timings = dict(state.get("timings") or {})
    for key, value in values.items():
        timings[key] = round(timings.get(key, 0.0) + value, 3)
    return timings


def _recent(messages: list[AnyMessage], turns: int) -> list[AnyMessage]:
    """The last ``turns`` user turns (whole, so tool calls keep their tool messages)."""
    starts = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    return messages[starts[-turns] :] if len(starts) > turns else messages


def _forget_old(messages: list[AnyMessage], turns: int) -> list[RemoveMessage]:
    """Drop turns older than the window the model sees, so the checkpoint stays small as a conversation grows."""
    keep = _recent(messages, turns)
    return [RemoveMessage(id=m.id) for m in messages[: len(messages) - len(keep)] if m.id]


def _emit(runtime: Runtime[AgentContext], event: AgentEvent) -> None:
    """Send an event to the turn's consumer: the service's queue, else LangGraph's custom stream."""
    emit = runtime.context.emit
    (runtime.stream_writer if emit is None else emit)(event)


# --- nodes --------------------------------------------------------------------------------------------


def turn_input(context: AgentContext, *, conversation_id: str, question: str | None, connection: str | None) -> Update:
    """The graph input that starts a turn: the conversation's new question, every per-turn field reset, and the
    error of a turn that cannot reach the model. ``connection`` is remembered for the conversation's next turns
    (None keeps the remembered one).

    Written by LangGraph's own input step: a node of its own for this would cost a superstep per turn."""
    update: Update = {**PER_TURN_RESET, "conversation_id": conversation_id, "question": question}
    if context.audio is None and question:
        update["messages"] = [HumanMessage(question)]
    if connection:
        update["connection"] = connection
    if context.audio is None and not (question or "").strip():
        update |= {"error_code": "empty_question", "error_message": prompts.EMPTY_QUESTION}
    elif context.model is None:
        # audio still goes through transcribe: the transcript is reported and logged even without a model
        update |= {"error_code": "model_not_configured", "error_message": CONFIGURE_MODEL_MESSAGE}
    return update


class _StartState(TypedDict, total=False):
    error_code: str | None


async def route_start(state: _StartState, runtime: Runtime[AgentContext]) -> Literal["transcribe", "agent", "answer"]:
    """Where a turn starts. Typed with the one field it reads: LangGraph reads only that channel for it. A
    coroutine: LangGraph runs a plain function's router on a worker thread (a hand-over per turn)."""
    if runtime.context.audio is not None:
        return "transcribe"
    return "answer" if state.get("error_code") else "agent"


async def transcribe_node(state: AgentState, runtime: Runtime[AgentContext]) -> Command[Literal["agent", "answer"]]:
    update = await _transcribe(state, runtime)
    return Command(update=update, goto="answer" if _after(state, update, "error_code") else "agent")


async def _transcribe(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    from agent.speech.base import SpeechError

    ctx = runtime.context
    start = time.perf_counter()
    try:
        if ctx.transcriber is None:
            raise SpeechError("O reconhecimento de voz não está disponível neste servidor.", code="stt_unavailable")
        transcript = await asyncio.to_thread(ctx.transcriber.transcribe, ctx.audio or b"", pcm16_rate=ctx.pcm16_rate)
    except SpeechError as exc:
        log.info("transcription failed: %s", exc.code)
        return {"error_code": exc.code, "error_message": exc.message, "timings": _add_timing(state, stt_ms=_ms(start))}
    text = transcript.text.strip()
    _emit(runtime, TranscriptEvent(text))
    update: Update = {"transcript": text, "question": text, "timings": _add_timing(state, stt_ms=_ms(start))}
    if not text:
        return update | {"error_code": "no_speech", "error_message": prompts.EMPTY_QUESTION}
    return update | {"messages": [HumanMessage(text)]}


async def agent_node(
    state: AgentState, runtime: Runtime[AgentContext]
) -> Command[Literal["tools", "speak", "__end__"]]:
    update = await _agent(state, runtime)
    new = update.get("messages")
    last = new[-1] if new else state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls and not _after(state, update, "error_code"):
        return Command(update=update, goto="tools")
    return _end_turn(state, update, runtime)


async def _agent(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    ctx = runtime.context
    if ctx.model is None:  # input sends model-less turns to ``answer``; reaching here is a wiring bug
        raise RuntimeError("agent node reached without a chat model")
    update: Update = {"steps": state.get("steps", 0) + 1}
    timings: dict[str, float] = {}
    name: str | None
    dialect: str | None
    schema: str | None
    if state.get("schema_context") is None:
        start = time.perf_counter()
        name, dialect, schema = await asyncio.to_thread(
            partial(
                schema_context,
                ctx.tool_ctx,
                ctx.connection or state.get("connection"),
                state.get("question"),
                memory=ctx.memory,
                picker=ctx.llm if ctx.table_picker_min_tables else None,
                picker_min_tables=ctx.table_picker_min_tables,
            )
        )
        update |= {"connection_name": name, "dialect": dialect, "schema_context": schema}
        timings["schema_ms"] = _ms(start)
    else:
        name, dialect, schema = state.get("connection_name"), state.get("dialect"), state["schema_context"]
    system = SystemMessage(
        prompts.SYSTEM_PROMPT.format(dialect=dialect, connection=name, schema=schema, **dialect_rules(dialect))
    )
    messages = [system, *_recent(state["messages"], ctx.history_turns)]

    start = time.perf_counter()
    first_token: float | None = None
    chunks: list[Any] = []
    emit = runtime.stream_writer if ctx.emit is None else ctx.emit
    try:
        async for chunk in ctx.model.astream(messages):
            if first_token is None and (chunk.content or chunk.tool_call_chunks):
                first_token = _ms(start)
            if chunk.text:
                emit(TokenEvent(chunk.text))
            chunks.append(chunk)
    except Exception as exc:  # provider/network failure: log it, answer in pt-BR instead of crashing the turn
        failure = classify_llm_failure(exc)
        log.exception("LLM call failed (%s)", failure)
        return update | {
            "error_code": "llm_error",
            "error_reason": failure.value,
            "error_message": prompts.LLM_FAILED_ANSWER.format(reason=prompts.LLM_FAILURE_REASONS[failure]),
            "timings": _add_timing(state, **timings, llm_total_ms=_ms(start)),
        }
    timings["llm_total_ms"] = _ms(start)
    if first_token is not None and "llm_first_token_ms" not in (state.get("timings") or {}):
        timings["llm_first_token_ms"] = first_token
    # merged once at the end: adding chunk by chunk rebuilds the growing message per token (quadratic)
    merged = chunks[0] + chunks[1:] if len(chunks) > 1 else chunks[0] if chunks else None
    response = message_chunk_to_message(merged) if merged is not None else AIMessage("")
    if not isinstance(response, AIMessage):
        raise TypeError(f"the chat model streamed a {type(response).__name__}, not an AIMessage")
    usage: dict[str, Any] = dict(response.usage_metadata or {})
    tokens = dict(state.get("tokens") or {})
    if usage:
        tokens["input"] = tokens.get("input", 0) + usage.get("input_tokens", 0)
        tokens["output"] = tokens.get("output", 0) + usage.get("output_tokens", 0)
    if response.tool_calls and update["steps"] >= ctx.max_steps:
        # Last allowed step: answer instead of calling another tool (like the react-agent template).
        log.info("step limit %d reached; answering without further tool calls", ctx.max_steps)
        text = prompts.STEP_LIMIT_ANSWER.format(steps=ctx.max_steps)
        response = AIMessage(text, id=response.id)
        update |= {"error_code": "step_limit", "error_message": text}
    return update | {"messages": [response], "tokens": tokens, "timings": _add_timing(state, **timings)}


async def tools_node(
    state: AgentState, runtime: Runtime[AgentContext]
) -> Command[Literal["agent", "speak", "__end__"]]:
    update = await _tools(state, runtime)
    if _after(state, update, "error_code"):  # SQL attempts exhausted: the apology ends the turn
        return _end_turn(state, update, runtime)
    return Command(update=update, goto="agent")


async def _tools(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    ctx = runtime.context
    last = state["messages"][-1]
    if not isinstance(last, AIMessage):  # agent only sends AI tool calls here
        raise TypeError(f"tools node reached after a {type(last).__name__}")
    specs = {spec.name: spec for spec in ctx.tools}
    replies: list[ToolMessage] = []
    sql_runs: list[SqlRun] = list(state.get("sql_runs") or [])
    attempts = state.get("sql_attempts", 0)
    tools_ms = sql_ms = 0.0
    failed_sql: SqlRun | None = None
    for call in last.tool_calls:
        call_id = call["id"] or ""
        spec = specs.get(call["name"])
        if spec is None:
            text = prompts.UNKNOWN_TOOL.format(tool=call["name"], names=", ".join(specs))
            replies.append(ToolMessage(text, tool_call_id=call_id, name=call["name"], status="error"))
            continue
        if spec.name == SQL_TOOL and attempts >= ctx.max_sql_attempts:
            text = prompts.SQL_LIMIT_REACHED.format(limit=ctx.max_sql_attempts)
            replies.append(ToolMessage(text, tool_call_id=call_id, name=spec.name, status="error"))
            continue
        args = with_active_connection(spec, dict(call["args"]), ctx.connection or state.get("connection"))
        _emit(runtime, ToolStartEvent(call_id, spec.name, masked_args(args)))
        outcome = await asyncio.to_thread(run_tool, spec, args, ctx.tool_ctx)
        if outcome.result is not None:
            ctx.sink.results[call_id] = outcome.result
            if spec.name == SQL_TOOL:
                ctx.sink.query_results.append(outcome.result)
        _emit(runtime, ToolEndEvent(call_id, spec.name, outcome.result, outcome.error, outcome.elapsed_ms))
        tools_ms += outcome.elapsed_ms
        if spec.name == SQL_TOOL:
            attempts += 1
            sql_ms += outcome.elapsed_ms
            run = SqlRun(
                call_id=call_id,
                statement=str(args.get("sql", "")),
                row_count=getattr(outcome.result, "row_count", None),
                elapsed_ms=getattr(outcome.result, "elapsed_ms", None),
                error_code=outcome.error["error"] if outcome.error else None,
                error_message=outcome.error["message"] if outcome.error else None,
            )
            sql_runs.append(run)
            failed_sql = run if outcome.error else None
        replies.append(
            ToolMessage(
                outcome.text,
                tool_call_id=call_id,
                name=spec.name,
                artifact=outcome.artifact,
                status="error" if outcome.error else "success",
            )
        )
    update: Update = {
        "messages": replies,
        "sql_runs": sql_runs,
        "sql_attempts": attempts,
        "tool_calls": state.get("tool_calls", 0) + len(last.tool_calls),
        "timings": _add_timing(state, tools_ms=tools_ms, sql_ms=sql_ms),
    }
    if failed_sql is not None and attempts >= ctx.max_sql_attempts:
        apology = prompts.SQL_ATTEMPTS_APOLOGY.format(attempts=attempts, error=failed_sql["error_message"])
        update |= {"error_code": "sql_attempts_exhausted", "error_message": apology}
    return update


async def answer_node(state: AgentState, runtime: Runtime[AgentContext]) -> Command[Literal["speak", "__end__"]]:
    """A turn that never reached the model (empty question, no model, failed transcription)."""
    return _end_turn(state, {}, runtime)


def _end_turn(state: AgentState, update: Update, runtime: Runtime[AgentContext]) -> Command[Any]:
    """``update`` plus the turn's final answer (and the turns beyond the history window forgotten, so the
    checkpoint stays small as a conversation grows), then ``speak`` or the end."""
    ctx = runtime.context
    before = state.get("messages") or []
    new = list(update.get("messages") or [])
    final = _answer({**state, **update, "messages": [*before, *new]}, runtime)  # type: ignore[typeddict-item]  # node updates hold AgentState fields only
    new += final.pop("messages", [])
    new += _forget_old([*before, *new], ctx.history_turns)
    update = {key: value for key, value in update.items() if key != "messages"} | final
    ctx.sink.ended = dict(update)
    if new:
        update["messages"] = new
    speak = ctx.speak and ctx.synthesizer_factory is not None and bool(update["answer"])
    return Command(update=update, goto="speak" if speak else END)


def _answer(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    messages = state.get("messages") or []
    last = messages[-1] if messages else None
    if state.get("error_code") and state.get("error_message"):
        text = state["error_message"] or ""
    else:
        text = last.text.strip() if isinstance(last, AIMessage) else ""
        text = text or prompts.EMPTY_ANSWER
    update: Update = {"answer": text}
    asked = bool((state.get("question") or "").strip())  # False for empty input or failed transcription
    if asked and not (isinstance(last, AIMessage) and last.text.strip() == text):
        update["messages"] = [AIMessage(text)]  # keep memory consistent with what the user heard
    _emit(runtime, AnswerEvent(text))
    return update


async def speak_node(state: AgentState, runtime: Runtime[AgentContext]) -> Update:
    from agent.speech.base import SpeechError
    from agent.speech.speak import SpeakOptions, aspeak

    ctx = runtime.context
    factory = ctx.synthesizer_factory
    if factory is None:  # answer only sends turns with a synthesizer factory here
        raise RuntimeError("speak node reached without a synthesizer factory")
    start = time.perf_counter()
    first_audio: float | None = None
    try:
        synthesizer = await asyncio.to_thread(factory, ctx.tts_engine)
        options = SpeakOptions(voice=ctx.voice, speed=ctx.speed)
        async for chunk in aspeak(synthesizer, state.get("answer") or "", options):
            if first_audio is None:
                first_audio = _ms(start)
            ctx.sink.audio.append(chunk)
            _emit(runtime, AudioEvent(chunk))
    except SpeechError as exc:
        log.warning("speech synthesis failed: %s (%s)", exc.code, exc.message)
        error_code = state.get("error_code") or exc.code
        return {"timings": _add_timing(state, tts_total_ms=_ms(start)), "error_code": error_code}
    timings = {"tts_total_ms": _ms(start)}
    if first_audio is not None:
        timings["tts_first_audio_ms"] = first_audio
    return {"timings": _add_timing(state, **timings), "audio_out": "answer" if ctx.sink.audio else None}


# --- edges --------------------------------------------------------------------------------------------
# Each node picks its successor itself (``Command(goto=...)``, destinations declared by the return annotation,
# so the diagram shows every edge): a separate router per edge would be one more traced runnable, task and state
# read per step — about a tenth of a turn's CPU.


def _after(state: AgentState, update: Update, key: str) -> Any:
    """``key`` as the state will hold it once ``update`` is applied (plain last-value channels)."""
    return update[key] if key in update else state.get(key)


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(AgentState, context_schema=AgentContext)
    builder.add_node("transcribe", transcribe_node)
    builder.add_node("agent", agent_node)
    builder.add_node("tools", tools_node)
    builder.add_node("answer", answer_node)
    builder.add_node("speak", speak_node)
    builder.add_conditional_edges(START, route_start)
    builder.add_edge("speak", END)
    return builder.compile(checkpointer=checkpointer, name="vozbd-agent")


def mermaid() -> str:
    """The diagram embedded in the README (``docs/graph.mmd``)."""
    return build_graph().get_graph().draw_mermaid()
