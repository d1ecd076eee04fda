"""The facade without a model, with a failing model, with empty input; sync use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from agent.events import AgentEvent, AnswerEvent, DoneEvent, TokenEvent, TranscriptEvent
from agent.llm.registry import CONFIGURE_MODEL_MESSAGE
from agent.llm.scripted import Script, ScriptedChatModel
from agent.service import INTERNAL_ERROR_ANSWER, Agent
from agent.speech.base import Transcript
from tests.agent.helpers import scripted


async def test_without_a_model_the_agent_explains_how_to_configure_one(make_agent: Callable[..., Agent]) -> None:
    events = [e async for e in make_agent(None).astream_turn(question="oi", conversation_id="s1")]
    assert [type(e) for e in events] == [AnswerEvent, DoneEvent]
    assert events[0].text == CONFIGURE_MODEL_MESSAGE  # type: ignore[union-attr]  # the event/result kind is known at this point of the test
    assert "VOZBD_MODEL" in CONFIGURE_MODEL_MESSAGE
    assert events[1].turn.error_code == "model_not_configured"  # type: ignore[union-attr]  # the event/result kind is known at this point of the test


async def test_without_a_model_speech_still_transcribes(make_agent: Callable[..., Agent]) -> None:
    class Stt:
        def transcribe(self, audio: Any, *, pcm16_rate: int | None = None) -> Transcript:
            return Transcript("olá", "pt", 1.0, (), 0.5, 0.01)

    events = [e async for e in make_agent(None, transcriber=Stt()).astream_turn(audio=b"x", conversation_id="s2")]
    assert isinstance(events[0], TranscriptEvent)
    assert events[-1].turn.answer == CONFIGURE_MODEL_MESSAGE  # type: ignore[union-attr]  # the event/result kind is known at this point of the test


async def test_empty_question_is_answered(make_agent: Callable[..., Agent]) -> None:
    turn = await make_agent(scripted([{"content": "x"}])).ask(question="  ", conversation_id="s3")
    assert turn.error_code == "empty_question" and turn.answer.startswith("Não recebi")


class ExplodingModel(ScriptedChatModel):
    def _message(self, messages: list[BaseMessage]) -> Any:
        raise ConnectionError("provider down")


async def test_model_failure_is_logged_and_answered(
    make_agent: Callable[..., Agent], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="agent.graph"):
        turn = await make_agent(ExplodingModel()).ask(question="oi", conversation_id="s4")
    assert turn.error_code == "llm_error"
    assert "não há conexão com o servidor do modelo" in turn.answer and turn.answer.startswith("Desculpe")
    assert any("LLM call failed" in r.message for r in caplog.records)


def test_ask_sync(make_agent: Callable[..., Agent]) -> None:
    turn = make_agent(scripted([{"content": "olá"}])).ask_sync(question="oi", conversation_id="s5")
    assert turn.answer == "olá"
    assert turn.to_dict()["answer"] == "olá"


class GatedModel(ScriptedChatModel):
    """Streams its first chunk, then waits for ``gate`` before the rest (a slow provider)."""

    gate: asyncio.Event = Field(default_factory=asyncio.Event, exclude=True)

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        first = True
        async for chunk in super()._astream(*args, **kwargs):
            yield chunk
            if first:
                first = False
                await self.gate.wait()


async def test_tokens_reach_the_consumer_while_the_model_is_still_streaming(make_agent: Callable[..., Agent]) -> None:
    model = GatedModel(script=Script(), responses=[{"content": "Temos seiscentos clientes."}])
    seen: list[AgentEvent] = []
    async with asyncio.timeout(10):  # events held back until the turn ends would never open the gate
        async for event in make_agent(model).astream_turn(question="oi", conversation_id="live"):
            seen.append(event)
            model.gate.set()
    assert [e.text for e in seen if isinstance(e, TokenEvent)] == ["Temos ", "seiscentos ", "clientes."]
    assert isinstance(seen[-1], DoneEvent) and seen[-1].turn.answer == "Temos seiscentos clientes."


async def test_a_consumer_that_stops_early_stops_the_turn(make_agent: Callable[..., Agent]) -> None:
    model = GatedModel(script=Script(), responses=[{"content": "Temos seiscentos clientes."}])
    stream = make_agent(model).astream_turn(question="oi", conversation_id="gone")
    async with asyncio.timeout(10), contextlib.aclosing(stream):
        async for event in stream:
            assert isinstance(event, TokenEvent)
            break  # the client went away while the model was streaming
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


class BrokenSaver(InMemorySaver):
    async def aput(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("checkpoint write failed")


async def test_a_graph_failure_still_ends_the_turn_with_an_answer(
    make_agent: Callable[..., Agent], caplog: pytest.LogCaptureFixture
) -> None:
    """The memory write at the end of the run fails after the answer was streamed: the turn still ends in pt-BR,
    with the bookkeeping of the steps that ran."""
    agent = make_agent(scripted([{"content": "olá"}]), checkpointer=BrokenSaver())
    with caplog.at_level(logging.ERROR, logger="agent.service"):
        events = [e async for e in agent.astream_turn(question="oi", conversation_id="broken")]
    assert [type(e) for e in events] == [TokenEvent, AnswerEvent, AnswerEvent, DoneEvent]
    turn = events[-1].turn  # type: ignore[union-attr]  # the last event is the DoneEvent
    assert (turn.answer, turn.error_code, turn.steps) == (INTERNAL_ERROR_ANSWER, "internal_error", 1)
    assert any("agent turn failed" in r.message for r in caplog.records)
