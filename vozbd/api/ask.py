"""``POST /api/v1/ask``: one agent turn — JSON by default, the turn's typed events as SSE with
``Accept: text/event-stream``.

SSE events (``event:`` name, JSON ``data:``): ``start`` {conversation_id}, ``token`` {text}, ``tool_start``
{call_id, name, args}, ``sql`` {call_id, statement}, ``tool_end`` {call_id, name, ok, error, elapsed_ms},
``rows`` {call_id, connection, columns, rows, row_count, truncated, executed_sql}, ``answer`` {text}, and last
``done`` (the same body as the JSON answer, timings included). Conversations are per caller: the same
``conversation_id`` under two API keys is two conversations.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent.chart import chart_spec
from agent.events import AnswerEvent, DoneEvent, TokenEvent, ToolEndEvent, ToolStartEvent, TranscriptEvent
from tools.audit import calling_as
from tools.db.connect import resolve_connection
from tools.errors import CodedError
from vozbd.api.conversations import ANONYMOUS, caller_of, thread_id
from vozbd.api.deps import ApiServices, get_services_of, key_of, rate_limited
from vozbd.api.errors import ApiError, default_error
from vozbd.api.schemas import ERROR_RESPONSES, AskRequest, AskResponse, ChartSpec, ResultTable, SqlRun, TurnError

if TYPE_CHECKING:
    from agent.events import AgentEvent, TurnResult
    from agent.service import Agent

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["ask"], dependencies=[Depends(rate_limited)], responses=ERROR_RESPONSES)

SQL_TOOL = "run_query"


def _agent_for(services: ApiServices, model: str | None) -> Agent:
    if model is not None and not services.allowed_models(model):
        raise ApiError(
            400,
            "model_not_allowed",
            f"Modelo '{model[:80]}' não disponível neste servidor: use um dos provedores configurados ou omita.",
        )
    return services.agent(model)


def _table(result: Any, cap: int) -> ResultTable:
    rows = [list(row) for row in result.rows[:cap]]
    return ResultTable(
        connection=result.connection,
        columns=list(result.columns),
        rows=rows,
        row_count=result.row_count,
        truncated=bool(result.truncated or result.row_count > cap),
        executed_sql=result.executed_sql,
    )


def build_response(turn: TurnResult, conversation_id: str, model: str | None, cap: int) -> AskResponse:
    tables = [_table(result, cap) for result in turn.results]
    chart = None
    if turn.results:
        last = turn.results[-1]
        spec = chart_spec(last.columns, last.rows)
        chart = ChartSpec(**spec) if spec else None
    error = TurnError(code=turn.error_code) if turn.error_code else None
    return AskResponse(
        conversation_id=conversation_id,
        answer=turn.answer,
        connection=turn.connection,
        model=model,
        sql=[SqlRun.model_validate({k: run.get(k) for k in SqlRun.model_fields}) for run in turn.sql_runs],
        results=tables,
        chart=chart,
        timings=turn.timings,
        error=error,
    )


# A turn that ended without an answer because something it depends on failed: the JSON answer is an error in the one
# shape (the pt-BR apology as its message), the status says what failed, and the turn is still logged. A question
# the model could not answer within its limits (``step_limit``, ``sql_attempts_exhausted``) is an answer: 200.
_LLM_FAILURE_STATUS = {"timeout": 504, "context_overflow": 422, "invalid_request": 502}
_FAILED_TURN_STATUS = {"internal_error": 500, "model_not_configured": 503}


def failed_turn_error(turn: TurnResult, conversation_id: str) -> ApiError | None:
    """The HTTP error for a turn that failed for want of its LLM provider or by a bug; None
    for a turn that answered."""
    if turn.error_code == "llm_error":  # the provider failed: unavailable (503) unless the failure says otherwise
        status = _LLM_FAILURE_STATUS.get(turn.error_reason or "", 503)
    elif turn.error_code in _FAILED_TURN_STATUS:
        status = _FAILED_TURN_STATUS[turn.error_code]
    else:
        return None
    detail = {"reason": turn.error_reason, "conversation_id": conversation_id}
    return ApiError(status, turn.error_code, turn.answer, detail=detail)


def _event(name: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data, ensure_ascii=False, default=str), event=name)


def _sse_events(event: AgentEvent, cap: int) -> list[ServerSentEvent]:
    if isinstance(event, TokenEvent):
        return [_event("token", {"text": event.text})]
    if isinstance(event, TranscriptEvent):
        return [_event("transcript", {"text": event.transcript})]
    if isinstance(event, AnswerEvent):
        return [_event("answer", {"text": event.text})]
    if isinstance(event, ToolStartEvent):
        events = [_event("tool_start", {"call_id": event.call_id, "name": event.name, "args": event.args})]
        if event.name == SQL_TOOL:
            events.append(_event("sql", {"call_id": event.call_id, "statement": str(event.args.get("sql", ""))}))
        return events
    if isinstance(event, ToolEndEvent):
        end = {
            "call_id": event.call_id,
            "name": event.name,
            "ok": event.error is None,
            "error": event.error,
            "elapsed_ms": round(event.elapsed_ms, 3),
        }
        events = [_event("tool_end", end)]
        if event.name == SQL_TOOL and event.result is not None:
            table = _table(event.result, cap).model_dump(mode="json")
            events.append(_event("rows", {"call_id": event.call_id, **table}))
        return events
    return []


class TurnRunner:
    """Runs one turn, feeding metrics and the conversation store whichever way the answer is delivered."""

    def __init__(self, services: ApiServices, body: AskRequest, caller: str):
        self.services = services
        self.body = body
        self.caller = caller
        self.conversation_id = body.conversation_id or uuid.uuid4().hex
        self.agent = _agent_for(services, body.model)

    async def events(self) -> AsyncIterator[AgentEvent]:
        turn = self.agent.astream_turn(
            question=self.body.question,
            conversation_id=thread_id(self.caller, self.conversation_id),
            connection=self.body.connection,
        )
        with calling_as("api", None if self.caller == ANONYMOUS else self.caller):  # query audit: who asked
            async for event in turn:  # statements and refusals reach /metrics through the tool context's audit
                if isinstance(event, DoneEvent):
                    await self._record(event.turn)
                yield event

    async def _record(self, turn: TurnResult) -> None:
        """Metrics, then the log row — written before the answer leaves (a 200 always has its row)."""
        self.services.metrics.observe_turn(turn.timings, surface="api")
        await self.services.conversations.record(
            turn,
            caller=self.caller,
            conversation_id=self.conversation_id,
            model=self.agent.model_spec,
            surface="api",
        )

    def response(self, turn: TurnResult) -> AskResponse:
        return build_response(turn, self.conversation_id, self.agent.model_spec, self.services.limits.max_rows)


@router.post(
    "/ask",
    summary="Ask a question in pt-BR; JSON answer, or SSE events with Accept: text/event-stream",
    response_model=AskResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when asked for."}},
)
async def ask(body: AskRequest, request: Request) -> Any:
    # The services and the key are read from the request, not declared as dependencies: FastAPI resolves each
    # dependency on every request (the router's rate_limited declares the bearer scheme for /docs).
    services, key = get_services_of(request), key_of(request)
    if body.connection:  # an unknown name is the caller's mistake: 404 now, not an apology inside the answer
        await run_in_threadpool(resolve_connection, services.tool_ctx, body.connection)
    runner = TurnRunner(services, body, caller_of(key))
    if "text/event-stream" in request.headers.get("accept", ""):
        return EventSourceResponse(_stream(runner), ping=15)
    turn = None
    async for event in runner.events():
        if isinstance(event, DoneEvent):
            turn = event.turn
    if turn is None:  # astream_turn always ends with DoneEvent
        raise ApiError(500, "internal_error", "A pergunta terminou sem resposta.")
    failed = failed_turn_error(turn, runner.conversation_id)
    if failed is not None:  # logged already (TurnRunner._record): the row says what happened
        raise failed
    # The model's JSON as is: returned as a model, FastAPI would validate it again against response_model.
    return Response(runner.response(turn).model_dump_json(), media_type="application/json")


_detached: set[asyncio.Task[None]] = set()
"""Turns whose SSE client left before the end: they run to completion (logged, remembered) on their own."""


async def _stream(runner: TurnRunner) -> AsyncIterator[ServerSentEvent]:
    """The turn runs in its own task, so a client that disconnects mid-turn (sse-starlette then cancels this
    generator) does not cancel it: like a JSON ask, it finishes, is written to ``conversation_logs`` and to the
    conversation's memory; only the delivery stops."""
    gauge = runner.services.metrics.active.labels("sse")
    gauge.inc()
    events: asyncio.Queue[AgentEvent | Exception | None] = asyncio.Queue()
    turn = asyncio.create_task(_pump(runner, events))
    event: AgentEvent | Exception | None = None
    try:
        yield _event("start", {"conversation_id": runner.conversation_id})
        cap = runner.services.limits.max_rows
        while (event := await events.get()) is not None:
            if isinstance(event, Exception):
                raise event
            if isinstance(event, DoneEvent):
                yield _event("done", runner.response(event.turn).model_dump(mode="json"))
            else:
                for sse in _sse_events(event, cap):
                    yield sse
    except CodedError as error:  # the 200 header is gone: the failure travels as the last event (_pump logged it)
        yield _event("error", {"code": error.code, "message": error.message, "detail": error.detail or None})
    except Exception as error:  # a bug: still a last event in the one shape (the turn's own: _pump logged it)
        if error is not event:
            log.exception("ask stream: events of conversation %s failed", runner.conversation_id)
        code, message = default_error(500)
        yield _event("error", {"code": code, "message": message, "detail": None})
    finally:
        gauge.dec()
        if not turn.done():
            log.info("ask stream: client left mid-turn; conversation %s finishes unattended", runner.conversation_id)
            _detached.add(turn)
            turn.add_done_callback(_detached.discard)


async def finish_detached_turns(timeout_s: float) -> None:
    """At shutdown, before the databases close: wait up to ``timeout_s`` for the turns whose SSE client left, so
    they are logged and remembered; what is still running then is cancelled (and said in the log)."""
    if not _detached:
        return
    log.info("shutdown: waiting up to %.0f s for %d turn(s) whose client left", timeout_s, len(_detached))
    _, pending = await asyncio.wait(set(_detached), timeout=timeout_s)
    for task in pending:
        task.cancel()
    if pending:
        log.warning("shutdown: %d unattended turn(s) cancelled after %.0f s, not logged", len(pending), timeout_s)


async def _pump(runner: TurnRunner, events: asyncio.Queue[AgentEvent | Exception | None]) -> None:
    try:
        async for event in runner.events():
            events.put_nowait(event)
    except CodedError as error:
        log.warning("ask stream failed: %s %s", error.code, error.message)
        events.put_nowait(error)
    except Exception as error:
        log.exception("ask stream: turn of conversation %s failed", runner.conversation_id)
        events.put_nowait(error)
    else:
        events.put_nowait(None)
