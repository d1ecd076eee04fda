"""The UI's handle on the process's services, set once by ``ui.launch.prepare`` (no work at import time).

Chainlit loads ``ui/app.py`` as a script and calls its handlers, so the services built by the composition root
(``vozbd.wiring``) are handed over here: :func:`configure` before the first chat. The services themselves own
the caches (agents per model, speech engines with per-engine locks); this module only remembers
one-time work (warm-ups) and the model choices shown in the settings panel.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from agent.events import TurnResult
    from agent.service import Agent
    from agent.speech.base import Synthesizer
    from agent.speech.remote import RemoteTranscriber
    from agent.speech.stt_whisper import WhisperTranscriber
    from agent.speech.vocabulary import SpeechVocabulary
    from tools.context import ToolContext
    from ui.config import UIConfig, UIServices
    from ui.prefs import Prefs

log = logging.getLogger("vozbd.ui")

T = TypeVar("T")

_lock = threading.Lock()
_services: UIServices | None = None
_once: dict[str, Any] = {}
_once_locks: dict[str, threading.Lock] = {}

NOT_CONFIGURED = "the chat UI was not configured: start it with `vozbd ui` or `vozbd serve`"


def configure(services: UIServices) -> None:
    """Use ``services`` for everything the UI does from now on (forgets one-time results)."""
    global _services
    with _lock:
        _services = services
        _once.clear()


def services() -> UIServices:
    if _services is None:
        raise RuntimeError(NOT_CONFIGURED)
    return _services


def config() -> UIConfig:
    return services().config


def once(key: str, build: Callable[[], T]) -> T:
    """Run ``build`` once per process (per :func:`configure`) and remember its result; keys run in parallel."""
    if key in _once:
        return _once[key]
    with _lock:
        key_lock = _once_locks.setdefault(key, threading.Lock())
    with key_lock:
        if key not in _once:
            _once[key] = build()
        return _once[key]


def tool_context() -> ToolContext:
    return services().tool_ctx


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
    """Detected once per process: the configured model, else a provider with a key, else a local server."""
    from agent.llm.registry import CONFIGURE_MODEL_MESSAGE

    spec = services().agents.default_model()
    return LlmState(spec=spec, reason="" if spec else CONFIGURE_MODEL_MESSAGE)


def model_choices() -> list[str]:
    """Model specs to offer in the settings panel: the default one, models of reachable providers, and the example
    model of each hosted provider with a key (never the default: a user picks it knowingly)."""

    def build() -> list[str]:
        from agent.llm.registry import PROVIDERS, provider_statuses

        choices: list[str] = []
        default = llm_state().spec
        if default:
            choices.append(default)
        for status in provider_statuses(services().agents.llm, check=False):
            if status.configured and status.name != "scripted":
                models = list(status.models[:10])
                if not models and PROVIDERS[status.name].hosted:
                    models = [PROVIDERS[status.name].example_model]
                choices.extend(f"{status.name}/{m}" for m in models if f"{status.name}/{m}" not in choices)
        return choices

    return once("model_choices", build)


def agent_for(model_spec: str | None) -> Agent:
    """The shared agent for ``model_spec`` (default model when None); raises the LLM layer's typed errors.

    Built without speech: the UI transcribes and speaks itself (it shows the transcript and streams audio clips).
    """
    return services().agents.shared(model_spec, speech=False)


# --- conversation log ---------------------------------------------------------------------------------------


async def record_turn(turn: TurnResult, *, user_id: str | None, model: str | None, voice: bool) -> None:
    """Write a chat turn to the conversation log (the composition root's recorder; never raises for the log)."""
    recorder = services().record_turn
    if recorder is not None:
        await recorder(turn, user_id=user_id, model=model, voice=voice)


# --- speech -------------------------------------------------------------------------------------------------


def speech_vocabulary(prefs: Prefs) -> SpeechVocabulary | None:
    """The chat's active connection's vocabulary for recognition (None for a URL connection or when unreadable)."""
    from agent.speech.db_vocabulary import vocabulary_or_none

    if prefs.is_url:
        return None
    return vocabulary_or_none(tool_context(), prefs.connection)


def memory_available() -> bool:
    """Whether answers can be remembered as verified examples (the agent factory has a memory provider)."""
    return services().agents.memory is not None


async def remember_verified(question: str, sql: str, connection: str, dialect: str | None) -> bool:
    """Record a 👍: ``sql`` answers ``question`` on ``connection`` (False when the app database is unavailable)."""
    from tools.memory import record_verified_example

    provider = services().agents.memory
    store = await asyncio.to_thread(provider) if provider is not None else None
    if store is None:
        return False
    await asyncio.to_thread(record_verified_example, store, connection, question, sql, dialect=dialect, source="ui")
    return True


def transcriber() -> WhisperTranscriber | RemoteTranscriber:
    """The STT engine; raises ``SpeechError`` (pt-BR message) when models are missing."""
    return services().speech.transcriber()


def synthesizer(engine: str | None = None) -> Synthesizer:
    """The TTS engine ``engine`` (default from the config)."""
    return services().speech.synthesizer(engine or config().tts_engine)


def data_flow(model_spec: str | None, connection: str | None) -> list[str]:
    """Where the data of a turn goes (pt-BR Markdown bullets): the model's destination and what it receives under
    the connection's policy, and where the audio is processed."""
    from agent.egress import egress_lines, model_destination
    from tools.policy import policy_for

    svc = services()
    destination = model_destination(model_spec or llm_state().spec, svc.agents.llm)
    ctx = svc.tool_ctx
    policy = policy_for(ctx.policies, connection or ctx.default_connection or "demo")
    remote = svc.speech.remote
    return egress_lines(destination, policy, speech_url=remote.client.url if remote else None)


def model_notice(model_spec: str | None) -> str:
    """One pt-BR line for the welcome message: which model answers and where it runs ('' without a model)."""
    from agent.egress import model_destination

    destination = model_destination(model_spec or llm_state().spec, services().agents.llm)
    if destination is None:
        return ""
    warning = "⚠️ " if destination.reach == "internet" else ""
    return f"{warning}Modelo de linguagem: {destination.describe()}. O que ele recebe: `/diagnostico`."


def loaded_speech_engines() -> dict[str, str]:
    """What is built right now (for /diagnostico): {"stt": class name, "tts:<engine>": class name}."""
    return services().speech.loaded()
