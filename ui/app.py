"""Chainlit handlers of the vozbd voice chat. Thin: parse, call agent/speech/tools, render.

Loaded by Chainlit as a file (``ui/launch.py`` sets the app root); importing it only registers handlers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time
import unicodedata
from pathlib import Path

import chainlit as cl

from ui import conversation, render, runtime, texts, turn, voice
from ui.commands import parse_command, run_command
from ui.prefs import CURRENT_URL, DEMO, NO_MODEL, Prefs, TurnTimings

log = logging.getLogger("vozbd.ui")

ASK_ACTION = "perguntar"


# --- session helpers ----------------------------------------------------------------------------------


def _prefs() -> Prefs:
    prefs = cl.user_session.get("prefs")
    if prefs is None:
        prefs = Prefs.from_config(runtime.config())
        cl.user_session.set("prefs", prefs)
    return prefs


def _conversation_id() -> str:
    return cl.context.session.thread_id


def _remember(timings: TurnTimings) -> None:
    cl.user_session.set("last_timings", timings)
    log.info("turn timings: %s", timings.to_log())


async def _guidance_message(prefix: str = "") -> None:
    await cl.Message(content=f"{prefix}{texts.LLM_GUIDANCE}").send()


# --- chat start / settings ------------------------------------------------------------------------------


def _engines() -> list[str]:
    reasons = runtime.services().speech.available()
    return [name for name, reason in reasons.items() if reason is None] or ["espeak"]


_GENDER = {"female": "feminina", "male": "masculina"}


def _voice_items(engine: str) -> dict[str, str]:
    """Settings-panel label → voice id, e.g. "Dora (feminina)" → "pf_dora"."""
    from agent.speech.base import SpeechError

    try:
        voices = runtime.synthesizer(engine).voices()
    except SpeechError as error:
        log.warning("no voices for TTS engine %s: %s", engine, error)
        return {}
    items = {}
    for v in voices:
        gender = _GENDER.get(v.gender or "")
        label = f"{v.name} ({gender})" if gender and gender not in v.name else v.name
        items[label if label not in items else f"{label} [{v.id}]"] = v.id
    return items


def _settings_widgets(
    prefs: Prefs, connections: list[str], models: list[str], engines: list[str], voice_items: dict[str, str]
) -> list:
    from chainlit.input_widget import Select, Slider, Switch

    labels = texts.SETTINGS_LABELS
    conn_items = {texts.DEMO_LABEL: DEMO} | {name: name for name in connections}
    if prefs.is_url:
        conn_items[prefs.connection_label] = CURRENT_URL
    model_items = {m: m for m in models} or {texts.NO_MODEL_LABEL: NO_MODEL}
    initial_model = next(iter(models), NO_MODEL)
    voices = list(voice_items.values())
    if prefs.voice not in voices and voices:
        prefs.voice = voices[0]
    voice = prefs.voice
    return [
        Select(id="connection", label=labels["connection"], items=conn_items, initial_value=prefs.connection_choice),
        Select(id="model", label=labels["model"], items=model_items, initial_value=prefs.model or initial_model),
        Select(id="tts_engine", label=labels["tts_engine"], values=engines, initial_value=prefs.tts_engine),
        Select(id="voice", label=labels["voice"], items=voice_items or {prefs.voice: prefs.voice}, initial_value=voice),
        Slider(id="speed", label=labels["speed"], initial=prefs.speed, min=0.5, max=2.0, step=0.1),
        Switch(id="auto_speak", label=labels["auto_speak"], initial=prefs.auto_speak),
        Switch(id="hands_free", label=labels["hands_free"], initial=prefs.hands_free),
    ]


async def _send_settings(prefs: Prefs) -> None:
    def gather() -> tuple[list[str], list[str], list[str], dict[str, str]]:
        connections = [info.name for info in runtime.tool_context().registry.list()]
        engines = _engines()
        if prefs.tts_engine not in engines:
            prefs.tts_engine = engines[0]
        return connections, runtime.model_choices(), engines, _voice_items(prefs.tts_engine)

    connections, models, engines, voices = await asyncio.to_thread(gather)
    await cl.ChatSettings(_settings_widgets(prefs, connections, models, engines, voices)).send()


async def _warm_up() -> None:
    """Load the agent, charts, STT and TTS in the background so the first turn is not slowed by loading."""
    from agent.llm.base import LLMError
    from agent.speech.base import SpeechError

    def warm() -> bool:
        runtime.transcriber().warm_up()
        return True

    def warm_tts(engine_name: str, voice: str) -> bool:
        runtime.synthesizer(engine_name).warm_up(voice)
        return True

    prefs = _prefs()
    began = time.perf_counter()
    # Cheapest first: the agent and the chart code (matplotlib), then STT, then TTS.
    await asyncio.to_thread(runtime.once, "charts_warm_up", lambda: render.chart_png(["a", "b"], [["x", 1], ["y", 2]]))
    try:
        if (await asyncio.to_thread(runtime.llm_state)).available:
            await asyncio.to_thread(runtime.agent_for, prefs.model)
    except LLMError as error:
        log.warning("agent not available: %s", error)
    try:
        await asyncio.to_thread(runtime.once, "stt_warm_up", warm)
    except SpeechError as error:
        log.warning("speech-to-text unavailable: %s", error)
    try:
        key = f"tts_warm_up:{prefs.tts_engine}"
        await asyncio.to_thread(runtime.once, key, lambda: warm_tts(prefs.tts_engine, prefs.voice))
    except SpeechError as error:
        log.warning("text-to-speech unavailable: %s", error)
    log.info("warm-up done in %.2fs", time.perf_counter() - began)


async def _settings_and_warm_up(prefs: Prefs) -> None:
    try:
        await _send_settings(prefs)
        await _warm_up()
    except Exception:  # a background task: log it (English), the chat itself keeps working
        log.exception("settings panel / speech warm-up failed")


@cl.on_chat_start
async def on_chat_start() -> None:
    prefs = _prefs()
    await cl.context.emitter.set_commands(
        [
            {
                "id": name,
                "icon": "terminal",
                "description": desc,
                "button": False,
                "persistent": False,
                "selected": False,
            }
            for name, desc in texts.COMMAND_DESCRIPTIONS.items()
        ]
    )
    llm = await asyncio.to_thread(runtime.llm_state)
    welcome = texts.WELCOME.format(connection=prefs.connection_label)
    actions = [
        cl.Action(name=ASK_ACTION, payload={"question": q}, label=q, tooltip="Perguntar")
        for q in texts.STARTER_QUESTIONS
    ]
    if not llm.available:
        welcome += "\n\n" + texts.WELCOME_NO_LLM.format(guidance=texts.LLM_GUIDANCE)
    await cl.Message(content=welcome, actions=actions).send()
    # In the background: while on_chat_start runs, Chainlit keeps the composer busy.
    cl.user_session.set("warm_up", asyncio.create_task(_settings_and_warm_up(prefs)))


@cl.on_settings_update
async def on_settings_update(values: dict) -> None:
    prefs = _prefs()
    changed = prefs.apply(values)
    # One "key=value" per changed field: a stable format (the browser tests wait for these lines).
    log.info("settings changed: %s", " ".join(f"{key}={getattr(prefs, key)}" for key in changed))
    if "tts_engine" in changed:
        voices = list((await asyncio.to_thread(_voice_items, prefs.tts_engine)).values())
        if voices and prefs.voice not in voices:
            prefs.voice = voices[0]
        await _send_settings(prefs)
    if "connection" in changed:
        await cl.Message(content=texts.CONNECTION_ACTIVE.format(name=prefs.connection_label)).send()


# --- questions -------------------------------------------------------------------------------------------


async def _speak_part(message: cl.Message, text: str, started: float, timings: TurnTimings, first_clip: int = 1) -> int:
    """Speak one part of an answer; returns how many audio clips it sent (0 when it failed)."""
    try:
        return await turn.speak_into(message.id, text, _prefs(), timings, started, first_clip=first_clip)
    except Exception:  # a background task: log it (English); the answer text is already shown
        log.exception("speaking the answer failed")
        return 0


async def _speak_and_remember(
    message: cl.Message, text: str, started: float, timings: TurnTimings, after: asyncio.Task[int] | None = None
) -> None:
    """Speak ``text`` once the part already being spoken (``after``) is done, then record the turn's timings."""
    try:
        clips_sent = await after if after is not None else 0
        if text.strip():
            await _speak_part(message, text, started, timings, first_clip=clips_sent + 1)
    finally:
        timings.total_s = time.perf_counter() - started
        _remember(timings)


async def _ask(question: str, started: float, timings: TurnTimings) -> None:
    """Run one natural-language question; every failure becomes a pt-BR message, never a crash.

    The answer is spoken in a background task, so Chainlit frees the composer as soon as the text is shown.
    """
    from agent.llm.base import LLMError

    prefs = _prefs()
    timings.voice, timings.tts_engine = prefs.voice, prefs.tts_engine
    spoken = False
    try:
        llm = await asyncio.to_thread(runtime.llm_state)
        if not llm.available and not prefs.model:
            await _guidance_message("⚠️ Nenhum modelo de linguagem configurado.\n\n")
            return
        early: list[tuple[str, asyncio.Task[int]]] = []  # the first sentence, spoken while the model is still writing

        def speak_first_sentence(message: cl.Message, sentence: str) -> None:
            early.append((sentence, asyncio.create_task(_speak_part(message, sentence, started, timings))))

        message, answer = await turn.run_turn(
            question,
            prefs,
            conversation_id=_conversation_id(),
            timings=timings,
            on_first_sentence=speak_first_sentence if prefs.auto_speak else None,
        )
        if prefs.auto_speak and answer:
            rest = turn.remainder_after(answer, early[0][0]) if early else answer
            after = early[0][1] if early else None
            task = asyncio.create_task(_speak_and_remember(message, rest, started, timings, after))
            cl.user_session.set("speaking", task)
            spoken = True
    except LLMError as error:
        log.warning("LLM error: %s (%s)", error.code, error)
        await cl.Message(content=f"⚠️ {error.message}").send()
    except Exception:  # the UI surface: log the traceback in English, show a pt-BR message, keep the session
        log.exception("turn failed for question %r", question[:200])
        await cl.Message(content=texts.UNEXPECTED_ERROR).send()
    finally:
        if not spoken:
            timings.total_s = time.perf_counter() - started
            _remember(timings)


def _file_id(uploads: Path, name: str) -> str:
    """A safe, readable file name in the uploads folder (the id ``read_pdf`` takes); never overwrites."""
    folded = unicodedata.normalize("NFKD", Path(name).name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(folded).stem).strip("._") or "documento"
    candidate, n = f"{stem}.pdf", 1
    while (uploads / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}.pdf"
    return candidate


def _save_pdfs(elements: list) -> tuple[list[str], list[str]]:
    uploads = runtime.config().uploads_dir
    uploads.mkdir(parents=True, exist_ok=True)
    saved, rejected = [], []
    for element in elements:
        path = getattr(element, "path", None)
        name = Path(getattr(element, "name", "") or "arquivo.pdf").name
        if not path or not (name.lower().endswith(".pdf") or getattr(element, "mime", "") == "application/pdf"):
            rejected.append(name)
            continue
        file_id = _file_id(uploads, name)
        shutil.copyfile(path, uploads / file_id)
        log.info("pdf upload saved as %s (%d bytes)", file_id, (uploads / file_id).stat().st_size)
        saved.append(file_id)
    return saved, rejected


@cl.on_message
async def on_message(message: cl.Message) -> None:
    started = time.perf_counter()
    prefs = _prefs()
    text = (message.content or "").strip()
    pdfs, rejected = await asyncio.to_thread(_save_pdfs, list(message.elements or []))
    for name in rejected:
        await cl.Message(content=texts.NOT_A_PDF.format(name=name)).send()
    command = parse_command(text, getattr(message, "command", None))
    if command is not None and not pdfs:
        last = cl.user_session.get("last_timings")
        try:
            reply = await asyncio.to_thread(run_command, command, prefs, last)
            if reply.result is not None:
                await turn.send_result(reply.result, reply.sql, text=reply.text)
            else:
                await cl.Message(content=reply.text).send()
        except Exception:  # the UI surface: typed errors are already messages; anything else is a bug
            log.exception("command /%s failed", command.name)
            await cl.Message(content=texts.UNEXPECTED_ERROR).send()
        return
    if not text and not pdfs:
        await cl.Message(content=texts.EMPTY_QUESTION).send()
        return
    question = text or texts.PDF_ONLY_QUESTION
    for file_id in pdfs:
        await cl.Message(content=texts.PDF_SAVED.format(name=file_id)).send()
        question += texts.PDF_CONTEXT.format(file_id=file_id)
    await _ask(question, started, TurnTimings())


@cl.action_callback(ASK_ACTION)
async def on_ask_action(action: cl.Action) -> None:
    question = str(action.payload.get("question", "")).strip()
    if not question:
        return
    await cl.Message(content=question, author="Você", type="user_message").send()
    await _ask(question, time.perf_counter(), TurnTimings())


@cl.action_callback(turn.LISTEN_ACTION)
async def on_listen_action(action: cl.Action) -> None:
    text = str(action.payload.get("text", ""))
    prefs = _prefs()
    timings = TurnTimings(voice=prefs.voice, tts_engine=prefs.tts_engine)
    await turn.speak_into(action.forId or "", text, prefs, timings, time.perf_counter())
    _remember(timings)


# --- voice -------------------------------------------------------------------------------------------------


@cl.on_audio_start
async def on_audio_start() -> bool:
    from chainlit.config import config

    from agent.speech.base import SpeechError

    rate = config.features.audio.sample_rate if config.features.audio else 24000
    prefs = _prefs()
    if prefs.hands_free:
        try:
            talk = await conversation.start(prefs, _conversation_id(), rate, remember=_remember)
        except SpeechError as error:
            log.warning("hands-free conversation unavailable: %s (%s)", error.code, error)
            await cl.Message(content=f"⚠️ {error.message}\n\n{texts.SPEECH_MODELS_HINT}").send()
            return False
        cl.user_session.set("conversation", talk)
        log.info("hands-free conversation started at %d Hz", rate)
        return True
    cl.user_session.set("audio", voice.PcmBuffer(sample_rate=rate))
    return True


@cl.on_audio_chunk
async def on_audio_chunk(chunk: cl.InputAudioChunk) -> None:
    talk: conversation.Conversation | None = cl.user_session.get("conversation")
    if talk is not None:
        talk.put(chunk.data)
        return
    buffer: voice.PcmBuffer | None = cl.user_session.get("audio")
    if buffer is None:
        return
    buffer.add(chunk.elapsedTime, chunk.data)


@cl.on_audio_end
async def on_audio_end() -> None:
    from agent.speech.base import NoSpeechError, SpeechError

    talk: conversation.Conversation | None = cl.user_session.get("conversation")
    if talk is not None:  # the user closed the mic: a question still being spoken is answered now
        cl.user_session.set("conversation", None)
        talk.stop()
        log.info("hands-free conversation ended")
        return
    started = time.perf_counter()
    await asyncio.sleep(0.05)  # Chainlit runs each chunk in its own task: let the last ones land in the buffer
    buffer: voice.PcmBuffer | None = cl.user_session.get("audio")
    cl.user_session.set("audio", None)
    if buffer is None or buffer.duration_s < voice.MIN_AUDIO_S:
        await cl.Message(content=texts.AUDIO_TOO_SHORT).send()
        return
    timings = TurnTimings()
    log.info("audio received: %.2fs at %d Hz in %d chunks", buffer.duration_s, buffer.sample_rate, len(buffer.chunks))
    try:
        transcriber = await asyncio.to_thread(runtime.transcriber)
        transcript = await asyncio.to_thread(transcriber.transcribe, buffer.pcm(), pcm16_rate=buffer.sample_rate)
    except NoSpeechError:
        await cl.Message(content=texts.NO_SPEECH_HEARD).send()
        return
    except SpeechError as error:
        log.warning("transcription failed: %s (%s)", error.code, error)
        await cl.Message(content=f"⚠️ {error.message}\n\n{texts.SPEECH_MODELS_HINT}").send()
        return
    timings.stt_s = time.perf_counter() - started
    text = transcript.text.strip()
    log.info("transcript (%.2fs): %r", timings.stt_s, text)
    if not text:
        await cl.Message(content=texts.NO_SPEECH_HEARD).send()
        return
    await cl.Message(content=text, author="Você", type="user_message").send()
    llm = await asyncio.to_thread(runtime.llm_state)
    prefs = _prefs()
    if not llm.available and not prefs.model:
        await cl.Message(content=texts.NO_LLM_TRANSCRIPT.format(text=text, guidance=texts.LLM_GUIDANCE)).send()
        timings.total_s = time.perf_counter() - started
        _remember(timings)
        return
    await _ask(text, started, timings)
