"""The facade without a model, with a failing model, with empty input; sync use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from agent.events import AnswerEvent, DoneEvent, TranscriptEvent
from agent.llm.registry import CONFIGURE_MODEL_MESSAGE
from agent.llm.scripted import ScriptedChatModel
from agent.service import Agent
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
