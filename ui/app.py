"""Chainlit handlers of the vozbd voice chat. Thin: parse, call agent/speech/tools, render.

Loaded by Chainlit as a file (``ui/launch.py`` sets the app root); importing it only registers handlers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
import time
from pathlib import Path

import chainlit as cl
from chainlit.types import ThreadDict

from tools.audit import calling_as
from ui import conversation, runtime, texts, turn, voice
from ui.commands import Command, parse_command, run_command
from ui.prefs import CURRENT_URL, DEMO, NO_MODEL, Prefs, TurnTimings
from ui.uploads import upload_id
from vozbd_core.errors import CodedError

log = logging.getLogger("vozbd.ui")

ASK_ACTION = "perguntar"
RUN_ACTION = "rodar"  # a suggested command (welcome without a model)


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
    # Cheapest first: the agent, then STT, then TTS.
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


def _welcome(prefs: Prefs, *, model_available: bool, model_notice: str = "") -> tuple[str, list[cl.Action]]:
    """The welcome text and its suggestion buttons: questions with a model, runnable commands without one.

    The suggestions come last, right above their buttons; demo suggestions only on the demo database."""
    on_demo = prefs.connection_arg is None
    welcome = texts.WELCOME.format(connection=prefs.connection_label)
    if model_available:
        questions = texts.STARTER_QUESTIONS if on_demo else texts.STARTER_QUESTIONS_OTHER_DB
        actions = [cl.Action(name=ASK_ACTION, payload={"question": q}, label=q, tooltip="Perguntar") for q in questions]
        notice = f"{model_notice}\n\n" if model_notice else ""
        return f"{welcome}\n\n{notice}{texts.WELCOME_TRY_QUESTIONS}", actions
    commands = texts.STARTER_COMMANDS if on_demo else texts.STARTER_COMMANDS_OTHER_DB
    actions = [
        cl.Action(name=RUN_ACTION, payload={"command": command}, label=label, tooltip=command[:120])
        for label, command in commands.items()
    ]
    warning = texts.WELCOME_NO_LLM.format(guidance=texts.LLM_GUIDANCE)
    return f"{welcome}\n\n{warning}\n\n{texts.WELCOME_TRY_COMMANDS}", actions


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
    notice = await asyncio.to_thread(runtime.model_notice, prefs.model) if llm.available else ""
    content, actions = _welcome(prefs, model_available=llm.available, model_notice=notice)
    await cl.Message(content=content, actions=actions).send()
    # In the background: while on_chat_start runs, Chainlit keeps the composer busy.
    cl.user_session.set("warm_up", asyncio.create_task(_settings_and_warm_up(prefs)))


@cl.on_chat_resume
async def on_chat_resume(thread: ThreadDict) -> None:
    """A conversation reopened from the history sidebar: same thread id, so the agent's memory continues."""
    prefs = _prefs()
    log.info("chat resumed: thread %s (%d steps)", thread.get("id"), len(thread.get("steps") or []))
    cl.user_session.set("warm_up", asyncio.create_task(_settings_and_warm_up(prefs)))


def _setting_text(prefs: Prefs, key: str, voice_label: str) -> str:
    value = getattr(prefs, key)
    if key == "voice":
        return voice_label
    if key == "connection":
        return prefs.connection_label
    if key == "model":
        return value or texts.NO_MODEL_LABEL
    if key == "speed":
        return f"{value:.1f}".replace(".", ",") + "×"
    if isinstance(value, bool):
        return "ligado" if value else "desligado"
    return str(value)


def _settings_summary(prefs: Prefs, changed: list[str], voice_label: str) -> str:
    """The pt-BR confirmation shown after "Confirmar": what changed, or that nothing did."""
    if not changed:
        return texts.SETTINGS_UNCHANGED
    labels = texts.SETTINGS_SHORT_LABELS
    summary = "; ".join(f"{labels[key]}: **{_setting_text(prefs, key, voice_label)}**" for key in changed)
    return texts.SETTINGS_SAVED.format(summary=summary)


@cl.on_settings_edit
async def on_settings_edit(values: dict) -> None:
    """While the panel is open: a new TTS engine lists its own voices (Chainlit re-renders the open panel)."""
    prefs = _prefs()
    engine = values.get("tts_engine")
    shown = cl.user_session.get("settings_engine") or prefs.tts_engine
    if not engine or engine == shown:
        return
    cl.user_session.set("settings_engine", engine)
    draft = dataclasses.replace(prefs)
    draft.apply({key: value for key, value in values.items() if key != "voice"})
    voices = list((await asyncio.to_thread(_voice_items, draft.tts_engine)).values())
    draft.voice = voices[0] if voices else draft.voice
    log.info("settings panel: TTS engine %s selected, listing its %d voices", engine, len(voices))
    await _send_settings(draft)


@cl.on_settings_update
async def on_settings_update(values: dict) -> None:
    prefs = _prefs()
    model_before = prefs.model
    changed = prefs.apply(values)
    cl.user_session.set("settings_engine", None)
    if "model" in changed and model_before is None and prefs.model == (await asyncio.to_thread(runtime.llm_state)).spec:
        changed.remove("model")  # the panel shows the default model by name: choosing it again changes nothing
    # One "key=value" per changed field: a stable format (the browser tests wait for these lines).
    log.info("settings changed: %s", " ".join(f"{key}={getattr(prefs, key)}" for key in changed))
    voice_items = await asyncio.to_thread(_voice_items, prefs.tts_engine) if changed else {}
    if "tts_engine" in changed:
        voices = list(voice_items.values())
        if voices and prefs.voice not in voices:
            prefs.voice = voices[0]
            if "voice" not in changed:
                changed.append("voice")
        await _send_settings(prefs)
    voice_label = next((label for label, voice in voice_items.items() if voice == prefs.voice), prefs.voice)
    await cl.Message(content=_settings_summary(prefs, changed, voice_label)).send()


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

        with calling_as("ui", _user_id()):  # query audit: the agent's queries are the UI's
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
        file_id = upload_id(uploads, name, unguessable=runtime.config().auth == "header")
        shutil.copyfile(path, uploads / file_id)
        log.info("pdf upload saved as %s (%d bytes)", file_id, (uploads / file_id).stat().st_size)
        saved.append(file_id)
    return saved, rejected


def _user_id() -> str | None:
    """The signed-in user's name (query audit), None when the UI runs without login."""
    return getattr(cl.user_session.get("user"), "identifier", None)


async def _run_command(command: Command, prefs: Prefs, text: str) -> None:
    last = cl.user_session.get("last_timings")
    try:
        with calling_as("ui", _user_id()):  # query audit: /sql runs as the UI
            reply = await asyncio.to_thread(run_command, command, prefs, last)
        if reply.result is not None:
            await turn.send_result(reply.result, reply.sql, text=reply.text)
        else:
            await cl.Message(content=reply.text).send()
    except Exception:  # the UI surface: typed errors are already messages; anything else is a bug
        log.exception("command /%s failed", command.name)
        await cl.Message(content=texts.UNEXPECTED_ERROR).send()


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
        await _run_command(command, prefs, text)
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


@cl.action_callback(RUN_ACTION)
async def on_run_action(action: cl.Action) -> None:
    text = str(action.payload.get("command", "")).strip()
    command = parse_command(text)
    if command is None:
        return
    await cl.Message(content=text, author="Você", type="user_message").send()
    await _run_command(command, _prefs(), text)


@cl.action_callback(turn.VERIFY_ACTION)
async def on_verify_action(action: cl.Action) -> None:
    answer = turn.take_verifiable(str(action.payload.get("token", "")))
    if answer is None:
        await cl.Message(content=texts.VERIFY_EXPIRED).send()
        return
    await action.remove()
    try:
        recorded = await runtime.remember_verified(answer.question, answer.sql, answer.connection, answer.dialect)
    except CodedError as error:  # the SQL no longer validates, or the app database failed mid-write
        log.warning("verified example not recorded: %s", error.code)
        await cl.Message(content=f"⚠️ {error.message}").send()
        return
    if recorded:
        log.info("verified example recorded: connection=%s", answer.connection)
        await cl.Message(content=texts.VERIFIED.format(connection=answer.connection)).send()
    else:
        await cl.Message(content=texts.VERIFY_NO_MEMORY).send()


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
            with calling_as("ui", _user_id()):  # the conversation's tasks inherit it (query audit)
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
        vocabulary = await asyncio.to_thread(runtime.speech_vocabulary, _prefs())
        transcript = await asyncio.to_thread(
            transcriber.transcribe, buffer.pcm(), pcm16_rate=buffer.sample_rate, vocabulary=vocabulary
        )
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
