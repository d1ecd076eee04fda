"""The hands-free mic consumer (``ui.conversation.Conversation``) survives a chunk that is not PCM16."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.voice.loop import VoiceLoop
from tests.ui.conftest import real_models_dir
from ui.conversation import Conversation


class FeedLog:
    """The real loop, with the sizes of the chunks it was fed."""

    def __init__(self, loop: VoiceLoop) -> None:
        self.loop = loop
        self.fed: list[int] = []

    async def feed(self, pcm16: bytes, sample_rate: int) -> None:
        await self.loop.feed(pcm16, sample_rate)
        self.fed.append(len(pcm16))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loop, name)


async def _never_called(*_: Any, **__: Any) -> Any:
    raise AssertionError("silence must not be recognized or answered")


async def test_an_odd_sized_chunk_is_dropped_and_the_conversation_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    engines = SpeechEngines(SpeechConfig(models_dir=real_models_dir()))
    loop = VoiceLoop(
        recognize=_never_called,
        synthesizer=engines.synthesizer("espeak"),
        respond=_never_called,  # type: ignore[arg-type]  # never reached: silence has no utterance
        emit=lambda _event: asyncio.sleep(0),
    )
    feeds = FeedLog(loop)
    talk = Conversation(loop=feeds)
    talk.consumer = asyncio.create_task(talk.run(16_000))
    for chunk in (bytes(640), bytes(3), bytes(640)):  # 20 ms of silence, 3 stray bytes, 20 ms more
        talk.put(chunk)
    talk.stop()
    await asyncio.wait_for(talk.consumer, 30)
    assert feeds.fed == [640, 640]  # the odd chunk once ended the consumer ("hands-free conversation failed")
    assert "hands-free conversation failed" not in caplog.text
    assert "dropped a microphone chunk of 3 bytes" in caplog.text
