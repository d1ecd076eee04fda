"""Hands-free conversation in the chat: the microphone stays open, the server hears when you stop.

One ``VoiceLoop`` (``agent.voice.loop``) per chat while the mic is on. Chainlit hands each mic chunk to its own
task, so chunks go through a queue to one consumer that feeds the loop in order. The loop's events are rendered
here: the transcript as the user's message, the answer via ``ui.turn.TurnRenderer`` (from the loop's ``AgentOut``
events, never from ``respond``: a speculative answer the loop drops must leave no trace), its audio streamed as
PCM16 to Chainlit's player (``send_audio_chunk``), barge-in as ``send_audio_interrupt`` plus a mark on the message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import chainlit as cl

from agent.speech.base import AudioInputError
from ui import runtime, texts
from ui.prefs import Prefs, TurnTimings
from ui.turn import TurnRenderer

log = logging.getLogger("vozbd.ui")

INTERRUPTED_NOTE = " _(interrompida)_"


@dataclass
class Conversation:
    """The open microphone of one chat."""

    loop: Any  # agent.voice.loop.VoiceLoop
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    renderers: dict[int, TurnRenderer] = field(default_factory=dict)
    consumer: asyncio.Task[None] | None = None
    heard_at: dict[int, float] = field(default_factory=dict)  # perf_counter when each transcript came

    def put(self, data: bytes) -> None:
        if self.consumer is not None and self.consumer.done():
            return  # the loop ended (logged): queueing the open mic's chunks would only grow memory
        self.queue.put_nowait(data)

    async def run(self, sample_rate: int) -> None:
        try:
            while (data := await self.queue.get()) is not None:
                try:
                    await self.loop.feed(data, sample_rate)
                except AudioInputError as error:  # not PCM16: one bad chunk must not end the conversation
                    log.warning("hands-free: dropped a microphone chunk of %d bytes (%s)", len(data), error.message)
            await self.loop.end_of_input()
            await self.loop.close()
        except Exception:  # a background task: log (English); the chat keeps working
            log.exception("hands-free conversation failed")

    def stop(self) -> None:
        """Close the mic: an utterance still open is answered; turns in flight finish in the background."""
        self.queue.put_nowait(None)


async def start(prefs: Prefs, conversation_id: str, sample_rate: int, *, remember: Any) -> Conversation:
    """Build the loop for this chat (engines load in a worker thread) and start feeding it."""
    from agent.speech.speak import SpeakOptions
    from agent.voice.loop import VoiceLoop, VoiceLoopConfig, whisper_recognizer

    base = runtime.config().voice_loop or VoiceLoopConfig()
    transcriber = await asyncio.to_thread(runtime.transcriber)
    synthesizer = await asyncio.to_thread(runtime.synthesizer, prefs.tts_engine)
    agent = await asyncio.to_thread(runtime.agent_for, prefs.model) if runtime.llm_state().available else None
    holder: dict[str, Conversation] = {}
    timings: dict[int, TurnTimings] = {}

    async def respond(question: str, *, hold: Any = None) -> AsyncIterator[Any]:
        if agent is None:
            return
        async for event in agent.astream_turn(
            question=question, conversation_id=conversation_id, connection=prefs.connection_arg, speak=False, hold=hold
        ):
            yield event

    async def emit(event: Any) -> None:
        from agent.voice import events as ev

        conversation = holder["c"]
        emitter = cl.context.emitter
        if isinstance(event, ev.FinalTranscript):
            conversation.heard_at[event.turn] = time.perf_counter()
            timing = timings.setdefault(event.turn, TurnTimings(voice=prefs.voice, tts_engine=prefs.tts_engine))
            timing.stt_s = event.timings.get("stt_s")
            await cl.Message(content=event.text, author="Você", type="user_message").send()
            if agent is None:
                guidance = texts.NO_LLM_TRANSCRIPT.format(text=event.text, guidance=texts.LLM_GUIDANCE)
                await cl.Message(content=guidance).send()
                return
            rendering = TurnRenderer(event.text, prefs, timing)
            conversation.renderers[event.turn] = rendering
            await rendering.start()
        elif isinstance(event, ev.AgentOut):
            if (answering := conversation.renderers.get(event.turn)) is not None:
                await answering.on_event(event.event)
        elif isinstance(event, ev.AnswerAudio):
            if event.seq == 0:
                log.info("hands-free turn %d: answer audio started", event.turn)
            chunk = cl.OutputAudioChunk(mimeType="pcm16", data=event.pcm16, track=f"resposta-{event.turn}")
            await emitter.send_audio_chunk(chunk)
        elif isinstance(event, ev.Interrupted):
            await emitter.send_audio_interrupt()
            renderer = conversation.renderers.get(event.turn)
            if renderer is not None and INTERRUPTED_NOTE not in renderer.message.content:
                renderer.message.content += INTERRUPTED_NOTE
                await renderer.message.update()
        elif isinstance(event, ev.TurnDone):
            renderer = conversation.renderers.pop(event.turn, None)
            if renderer is not None:
                await renderer.finish(note=INTERRUPTED_NOTE if event.interrupted else "")
            timing = timings.pop(event.turn, TurnTimings())
            timing.tts_first_audio_s = event.timings.get("tts_first_audio_s")
            timing.end_to_first_audio_s = event.timings.get("speech_end_to_first_audio_s")
            timing.extra.update({k: v for k, v in event.timings.items() if k.endswith("_s")})
            heard = conversation.heard_at.pop(event.turn, None)
            timing.total_s = time.perf_counter() - heard if heard is not None else None
            remember(timing)
        elif isinstance(event, ev.Notice) and event.code != "no_speech":
            await cl.Message(content=f"⚠️ {event.message}").send()

    loop = VoiceLoop(
        recognize=whisper_recognizer(transcriber, vocabulary=lambda: runtime.speech_vocabulary(prefs)),
        synthesizer=synthesizer,
        respond=respond,
        emit=emit,
        config=dataclasses.replace(base, hands_free=True, out_rate=sample_rate),
        speak=SpeakOptions(voice=prefs.voice, speed=prefs.speed),
    )
    conversation = Conversation(loop=loop)
    holder["c"] = conversation
    conversation.consumer = asyncio.create_task(conversation.run(sample_rate))
    return conversation
