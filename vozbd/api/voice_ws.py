"""``WS /api/v1/voice``: a hands-free (or push-to-talk) spoken conversation over one WebSocket.

Protocol (documented in README "Conversa por voz" and used by ``examples/voice_client.py``):

* Connect with query parameters ``conversation_id`` (optional; a new one is made), ``sample_rate`` of the audio
  you send (default 16000), ``mode`` = ``hands_free`` (default: the server detects the end of each utterance)
  or ``push_to_talk`` (the utterance ends when you send ``end_of_input``), ``out_rate`` of the audio you get back
  (default 24000), ``half_duplex`` (``true`` when your client has no echo cancellation), ``voice``,
  ``connection``, ``model``. Authentication is the API's: ``Authorization: Bearer <key>``.
* Client → server: **binary** frames of mono PCM16 little-endian audio at ``sample_rate``, any size up to 1 MB
  (20-100 ms is typical); **text** frames ``{"type": "end_of_input"}`` (stop click / end of a file) and
  ``{"type": "interrupt"}`` (stop the answer now).
* Server → client: JSON text frames, each with ``type`` and ``turn`` (1, 2, ...): ``ready`` (conversation_id,
  rates), ``speech_started``, ``transcript_partial`` (speculative), ``transcript_final`` (with timings),
  ``answer_token``, ``tool_start``, ``tool_end`` (sql, row_count), ``answer``, ``audio`` (immediately followed by
  one **binary** frame with its PCM16 at ``out_rate``), ``interrupted`` (stop playing this turn now),
  ``turn_done`` (question, answer, interrupted, per-stage timings in seconds) and ``notice`` / ``error``
  (``code`` + pt-BR ``message``). Every turn is written to ``conversation_logs`` with surface ``voice``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from tools.db.connect import resolve_connection
from tools.errors import CodedError
from vozbd.api.conversations import caller_of, thread_id
from vozbd.api.schemas import CONNECTION_NAME, CONVERSATION_ID

if TYPE_CHECKING:
    from agent.checkpoint import HeldCheckpoints
    from agent.events import AgentEvent
    from agent.voice.events import VoiceEvent
    from vozbd.api.deps import ApiServices

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["voice"])

MAX_FRAME_BYTES = 1024 * 1024
MAX_VOICE = 64
POLICY_VIOLATION, INTERNAL_ERROR, TRY_AGAIN_LATER = 1008, 1011, 1013
NOT_LOGGED = "Esta resposta não foi registrada no histórico (banco do aplicativo indisponível)."
INTERNAL_ERROR_MESSAGE = "Erro interno na conversa por voz. Reconecte; se persistir, avise o administrador."


class VoiceRequestError(CodedError):
    code = "invalid_request"


@dataclasses.dataclass(frozen=True)
class VoiceParams:
    conversation_id: str
    sample_rate: int = 16_000
    out_rate: int = 24_000
    hands_free: bool = True
    half_duplex: bool = False
    voice: str | None = None
    connection: str | None = None
    model: str | None = None

    @classmethod
    def parse(cls, query: dict[str, str]) -> VoiceParams:
        def rate(name: str, default: int) -> int:
            raw = query.get(name, str(default))
            # at most 6 digits before int(): a 5000-digit value passed isdigit() and int() raised past Python's
            # integer-string limit (an unhandled ValueError: traceback in the log, the socket dropped unanswered)
            if not (raw.isdigit() and len(raw) <= 6) or not 8000 <= int(raw) <= 48_000:
                raise VoiceRequestError(f"{name} inválido: use de 8000 a 48000 Hz.")
            return int(raw)

        conversation_id = query.get("conversation_id") or uuid.uuid4().hex
        if not re.fullmatch(CONVERSATION_ID, conversation_id):  # match() lets a trailing newline through
            raise VoiceRequestError("conversation_id inválido.")
        mode = query.get("mode", "hands_free")
        if mode not in ("hands_free", "push_to_talk"):
            raise VoiceRequestError("mode inválido: use hands_free ou push_to_talk.")
        voice = query.get("voice") or None
        if voice is not None and len(voice) > MAX_VOICE:  # as POST /speak's field; an unknown one is echoed back
            raise VoiceRequestError(f"voice inválida: no máximo {MAX_VOICE} caracteres.")
        connection = query.get("connection") or None
        if connection is not None and not re.fullmatch(CONNECTION_NAME, connection):
            raise VoiceRequestError("connection inválida: use o nome de uma conexão salva.")
        return cls(
            conversation_id=conversation_id,
            sample_rate=rate("sample_rate", 16_000),
            out_rate=rate("out_rate", 24_000),
            hands_free=mode == "hands_free",
            half_duplex=query.get("half_duplex", "false").lower() in ("1", "true", "yes"),
            voice=voice,
            connection=connection,
            model=query.get("model") or None,
        )


class _Socket:
    """Sends events in order; an audio event's binary frame always follows its JSON header."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._lock = asyncio.Lock()
        self.open = True

    async def send(self, data: dict[str, Any], binary: bytes | None = None) -> None:
        if not self.open:
            return
        async with self._lock:
            try:
                await self.websocket.send_text(json.dumps(data, ensure_ascii=False, default=str))
                if binary is not None:
                    await self.websocket.send_bytes(binary)
            except (WebSocketDisconnect, RuntimeError):
                self.open = False

    async def emit(self, event: VoiceEvent) -> None:
        from agent.voice.events import AnswerAudio

        data = event.to_json()
        if data["type"] == "agent_event":  # an agent event the protocol has no message for (the turn's DoneEvent:
            return  # turn_done carries it); it went out as an undocumented {"type": "agent_event", "kind": ...}
        await self.send(data, event.pcm16 if isinstance(event, AnswerAudio) else None)


async def _error(websocket: WebSocket, code: str, message: str, close: int = POLICY_VIOLATION) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # a client already gone is not a server error
        await websocket.send_text(json.dumps({"type": "error", "turn": 0, "code": code, "message": message}))
        await websocket.close(code=close, reason=code)


def _warm_up(transcriber: object, synthesizer: object, voice: str | None) -> None:
    """Load the local models before ``ready`` (once per process), so the first turn does not pay for it."""
    if getattr(transcriber, "is_loaded", True) is False:
        transcriber.warm_up()  # type: ignore[attr-defined]  # engines are typed as object here; both engine kinds define warm_up
    if getattr(synthesizer, "is_loaded", True) is False:
        synthesizer.warm_up(voice)  # type: ignore[attr-defined]  # engines are typed as object here; both engine kinds define warm_up


@router.websocket("/voice")
async def voice(websocket: WebSocket) -> None:
    from agent.events import DoneEvent
    from agent.llm.registry import CONFIGURE_MODEL_MESSAGE
    from agent.speech.db_vocabulary import vocabulary_or_none
    from agent.speech.speak import SpeakOptions, pick_voice
    from agent.voice.events import AgentOut, AnswerAudio
    from agent.voice.loop import VoiceLoop, VoiceLoopConfig, whisper_recognizer

    services: ApiServices = websocket.app.state.api
    key = websocket.scope.get("state", {}).get("api_key")
    await websocket.accept()
    host = websocket.client.host if websocket.client else None
    verdict = await services.limiter.check(key=key.name if key else None, ip=host)
    if not verdict.allowed:
        await _error(websocket, "rate_limited", f"Muitas requisições. Tente de novo em {verdict.retry_after_s} s.")
        return
    try:
        params = VoiceParams.parse(dict(websocket.query_params))
        if params.model is not None and not services.allowed_models(params.model):
            raise VoiceRequestError(f"Modelo '{params.model[:80]}' não disponível neste servidor.")
        if params.connection is not None:  # an unknown name is refused now, as POST /ask does (404 there)
            await run_in_threadpool(resolve_connection, services.tool_ctx, params.connection)
        agent = await run_in_threadpool(services.agent, params.model)
        if not agent.has_model:  # as POST /ask answers 503; spoken, every turn was a 35 s reading of env var names
            await _error(websocket, "model_not_configured", CONFIGURE_MODEL_MESSAGE, close=TRY_AGAIN_LATER)
            return
        transcriber = await run_in_threadpool(services.transcriber)
        synthesizer = await run_in_threadpool(services.synthesizer, None)
        if params.voice is not None:  # an unknown voice is refused now, as POST /speak refuses it (422)
            await run_in_threadpool(partial(pick_voice, synthesizer, params.voice, strict=True))
        await run_in_threadpool(_warm_up, transcriber, synthesizer, params.voice)
    except CodedError as error:
        await _error(websocket, error.code, error.message)
        return
    caller = caller_of(key)
    socket = _Socket(websocket)

    async def respond(question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]:
        async for event in agent.astream_turn(
            question=question,
            conversation_id=thread_id(caller, params.conversation_id),
            connection=params.connection,
            speak=False,
            hold=hold,
        ):
            yield event

    async def emit(event: VoiceEvent) -> None:
        # The turn is logged when the loop sends it (a speculative answer it drops is never sent, never logged).
        if isinstance(event, AgentOut) and isinstance(event.event, DoneEvent):
            turn = event.event.turn
            turn.transcript = turn.question  # spoken: logged as a voice turn with its transcript
            try:
                await services.conversations.record(
                    turn, caller=caller, conversation_id=params.conversation_id, model=agent.model_spec, surface="voice"
                )
            except CodedError as error:  # the log store being down must not end the conversation, nor go unseen
                log.warning("voice turn %d of %s not logged: %s", event.turn, params.conversation_id, error.code)
                await socket.send({"type": "notice", "turn": event.turn, "code": error.code, "message": NOT_LOGGED})
            services.metrics.observe_turn(turn.timings, surface="voice")
        if not socket.open and isinstance(event, AnswerAudio):  # the client left before this answer was spoken:
            await loop.interrupt()  # stop synthesizing audio nobody will hear (the text is still logged)
            return
        await socket.emit(event)

    base = services.voice_loop if services.voice_loop is not None else VoiceLoopConfig()
    config = dataclasses.replace(
        base, hands_free=params.hands_free, half_duplex=params.half_duplex or base.half_duplex, out_rate=params.out_rate
    )
    loop = VoiceLoop(
        recognize=whisper_recognizer(
            transcriber, vocabulary=lambda: vocabulary_or_none(services.tool_ctx, params.connection)
        ),
        synthesizer=synthesizer,
        respond=respond,
        emit=emit,
        config=config,
        speak=SpeakOptions(voice=params.voice),
    )
    sockets = services.metrics.active.labels("voice")  # "websocket" (every socket) is counted by the middleware
    sockets.inc()
    await socket.send(
        {
            "type": "ready",
            "turn": 0,
            "conversation_id": params.conversation_id,
            "sample_rate": params.sample_rate,
            "out_rate": params.out_rate,
            "mode": "hands_free" if params.hands_free else "push_to_talk",
        }
    )
    close_code = 1000
    gone = False
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                gone = True
                break
            data, text = message.get("bytes"), message.get("text")
            if data is not None:
                if len(data) > MAX_FRAME_BYTES or len(data) % 2:
                    await socket.send(
                        {"type": "error", "turn": 0, "code": "audio_invalid", "message": "Quadro de áudio inválido."}
                    )
                    continue
                await loop.feed(data, params.sample_rate)
            elif text is not None:
                await _control(loop, socket, text)
    except WebSocketDisconnect:
        gone = True
    except Exception:  # a bug, not the client's input: the traceback goes to the log, the client gets 1011
        log.exception("voice socket failed (conversation %s)", params.conversation_id)
        await socket.send({"type": "error", "turn": 0, "code": "internal_error", "message": INTERNAL_ERROR_MESSAGE})
        close_code = INTERNAL_ERROR
    finally:
        sockets.dec()
        socket.open = socket.open and websocket.client_state.name == "CONNECTED"
        if gone:  # nobody left to hear the answer: stop its synthesis (its text still finishes and is logged)
            socket.open = False
            await loop.interrupt()
        await loop.close()
        if socket.open:
            with contextlib.suppress(RuntimeError):
                await websocket.close(code=close_code)


async def _control(loop: Any, socket: _Socket, text: str) -> None:
    try:
        kind = json.loads(text).get("type")
    except (ValueError, AttributeError, RecursionError):  # RecursionError: "[[[[..." nested past the parser's depth
        kind = None
    if kind == "end_of_input":
        await loop.end_of_input()
    elif kind == "interrupt":
        await loop.interrupt()
    else:
        await socket.send({"type": "error", "turn": 0, "code": "invalid_message", "message": "Mensagem desconhecida."})
