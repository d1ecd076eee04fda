"""Process-wide objects of the UI, built lazily from one ``Settings`` (no work at import time).

``vozbd ui`` / ``vozbd serve`` call :func:`configure` with their Settings before the first chat; otherwise the
first use builds ``Settings()`` from the environment. Heavy things (speech models, the agent) load on first use
and are cached; a failure to load is remembered as a pt-BR reason so the UI degrades instead of crashing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.context import ToolContext
    from vozbd.settings import Settings

log = logging.getLogger("vozbd.ui")

_lock = threading.RLock()
_settings: Settings | None = None
_cache: dict[str, Any] = {}


def configure(settings: Settings) -> None:
    """Use ``settings`` for everything the UI builds from now on (drops cached objects)."""
    global _settings
    with _lock:
        _settings = settings
        _cache.clear()


def settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            from vozbd.settings import Settings

            _settings = Settings()
        return _settings


_key_locks: dict[str, threading.Lock] = {}


def _cached(key: str, build: Any) -> Any:
    """``build()`` once per key; builds of different keys run in parallel (one lock per key)."""
    if key in _cache:
        return _cache[key]
    with _lock:
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]


def once(key: str, build: Any) -> Any:
    """Run ``build`` once per process (per :func:`configure`) and remember its result."""
    return _cached(f"once:{key}", build)


def tool_context() -> ToolContext:
    from vozbd.wiring import build_tool_context

    return _cached("tool_ctx", lambda: build_tool_context(settings()))


# --- LLM ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LlmState:
    """The model the agent uses by default, or why there is none."""

    spec: str | None
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.spec is not None


def llm_state() -> LlmState:
    """Detected once per process: ``settings.model``, else a provider with a key, else a local server."""

    def build() -> LlmState:
        from agent.llm.registry import CONFIGURE_MODEL_MESSAGE, default_model_spec

        spec = default_model_spec(settings())
        return LlmState(spec=spec, reason="" if spec else CONFIGURE_MODEL_MESSAGE)

    return _cached("llm_state", build)


def model_choices() -> list[str]:
    """Model specs to offer in the settings panel: the default one plus models of reachable providers."""

    def build() -> list[str]:
        from agent.llm.registry import provider_statuses

        choices: list[str] = []
        default = llm_state().spec
        if default:
            choices.append(default)
        for status in provider_statuses(settings(), check=False):
            if status.configured and status.name != "scripted":
                choices.extend(f"{status.name}/{m}" for m in status.models[:10] if f"{status.name}/{m}" not in choices)
        return choices

    return _cached("model_choices", build)


def agent_for(model_spec: str | None) -> Any:
    """The agent facade for ``model_spec`` (default model when None); raises the LLM layer's typed errors."""
    spec = model_spec or llm_state().spec

    def build() -> Any:
        from vozbd.wiring import build_agent

        base = settings()
        log.info("building agent for model %s", spec)
        base.checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
        # speech=False: the UI transcribes and speaks itself (it shows the transcript and streams audio clips).
        return build_agent(base, model=spec, tool_ctx=tool_context(), speech=False)

    return _cached(f"agent:{spec}", build)


# --- conversation log ---------------------------------------------------------------------------------------


def turn_log() -> Any:
    """The app database's ``ConversationLogStore`` (migrated on first use; raises ``AppDatabaseError``)."""

    def build() -> Any:
        from vozbd.wiring import build_app_database

        return build_app_database(settings()).logs

    return _cached("turn_log", build)


async def record_turn(turn: Any, *, user_id: str | None, model: str | None, voice: bool) -> None:
    """Write a chat turn to ``conversation_logs``. An unavailable app database is logged, never shown as a crash:
    the user already has the answer."""
    from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError
    from vozbd.appdb.logs import TurnLog

    try:
        store = await asyncio.to_thread(turn_log)
        mode: Any = "voice" if voice else "text"
        record = TurnLog.from_turn(turn, surface="ui", user_id=user_id, model=model, input_mode=mode)
        await store.awrite_turn(record)
    except (AppDatabaseError, AppDatabaseConfigError) as error:
        log.warning("chat turn of conversation %s not logged: %s", turn.conversation_id, error.message)


# --- speech -------------------------------------------------------------------------------------------------


def transcriber() -> Any:
    """The STT engine (built once); raises ``SpeechError`` (pt-BR message) when models are missing."""

    def build() -> Any:
        from vozbd.wiring import speech_backend

        engine = speech_backend(settings()).transcriber()  # remote when VOZBD_SPEECH_URL is set
        log.info("speech-to-text engine ready: %s", type(engine).__name__)
        return engine

    return _cached("stt", build)


def synthesizer(engine: str | None = None) -> Any:
    """The TTS engine ``engine`` (default from settings), built once per engine."""
    name = engine or settings().tts_engine

    def build() -> Any:
        from vozbd.wiring import speech_backend

        synth = speech_backend(settings()).synthesizer(name)
        log.info("text-to-speech engine ready: %s (%s)", name, type(synth).__name__)
        return synth

    return _cached(f"tts:{name}", build)


def loaded_speech_engines() -> dict[str, str]:
    """What is built right now (for /diagnostico): {"stt": class name, "tts:<engine>": class name}."""
    return {key: type(value).__name__ for key, value in list(_cache.items()) if key == "stt" or key.startswith("tts:")}
