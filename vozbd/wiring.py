"""Composition root: build the objects each entry point needs from one Settings."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from tools.audit import AuditSink
from tools.context import ColumnFilter, PdfLimits, QueryLimits, ToolContext, ValueIndexLimits
from tools.policy import ConnectionPolicy
from vozbd.settings import Settings

if TYPE_CHECKING:
    from agent.checkpoint import CheckpointStore
    from agent.memory_context import MemoryProvider
    from agent.service import Agent
    from agent.speech.base import Synthesizer
    from agent.speech.registry import SpeechConfig
    from agent.speech.remote import RemoteSpeech
    from agent.voice.loop import VoiceLoopConfig
    from tools.memory import MemoryStore
    from vozbd.appdb.database import AppDatabase
    from vozbd.speech_service import SpeechBackend

log = logging.getLogger(__name__)


def build_tool_context(settings: Settings) -> ToolContext:
    """Every connection visible (the MCP server narrows this with ``VOZBD_MCP_CONNECTIONS``)."""
    from tools.db.registry import ConnectionRegistry
    from vozbd.connections_config import declare

    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    registry = ConnectionRegistry(settings.registry_file, secret_key=secret, key_file=settings.secret_key_file)
    declared, policies = declare(settings.connections, registry)
    return ToolContext(
        registry=registry,
        query_limits=QueryLimits(
            max_rows=settings.max_rows,
            timeout_s=settings.query_timeout_s,
            max_cell_chars=settings.max_cell_chars,
            max_result_bytes=int(settings.max_result_mb * 1024 * 1024),
        ),
        pdf_limits=PdfLimits(
            allowed_dirs=tuple(settings.allowed_pdf_dirs),
            max_bytes=int(settings.pdf_max_mb * 1024 * 1024),
            max_pages=settings.pdf_max_pages,
            max_chars=settings.pdf_max_chars,
        ),
        schema_cache_ttl_s=settings.schema_cache_ttl_s,
        schema_prompt_budget=settings.schema_prompt_budget,
        dictionary_dirs=tuple(settings.dict_dirs),
        value_index=ValueIndexLimits(
            enabled=settings.value_index,
            wait_s=settings.value_index_wait_s,
            time_budget_s=settings.value_index_time_s,
            max_values=settings.value_index_max_values,
        ),
        default_connection=settings.default_db,
        allowed_connections=None,
        declared_connections=declared,
        policies=policies,
        audit=query_audit_sink(settings) if settings.query_audit else None,
        column_filter=policy_column_filter(policies) if policies else None,
    )


def query_audit_sink(settings: Settings) -> AuditSink:
    """Every statement the tools run, recorded in the app database's ``query_audit`` table (opened on first use)."""
    from vozbd.appdb.audit import LazyAuditSink, QueryAuditStore

    return LazyAuditSink(lambda: QueryAuditStore(build_app_database(settings).engine))


def policy_column_filter(policies: dict[str, ConnectionPolicy]) -> ColumnFilter:
    """The value index's hook: a column's values may be indexed unless its connection's policy hides/masks it."""

    def visible(connection: str, table: str, column: str) -> bool:
        policy = policies.get(connection)
        return policy is None or (policy.samples and policy.column_visible(table, column))

    return visible


def build_app_database(settings: Settings, *, migrate: bool = True) -> AppDatabase:
    """The app database (``VOZBD_DATABASE_URL``, SQLite in DATA_DIR by default), migrated to head."""
    from vozbd.appdb.database import open_app_database

    return open_app_database(settings.app_database_url, migrate=migrate)


def checkpoint_store(settings: Settings) -> CheckpointStore:
    """Conversation memory: in the app database when it is PostgreSQL (shared by replicas), else a SQLite file."""
    from agent.checkpoint import PostgresCheckpoints, SqliteCheckpoints
    from vozbd.appdb.urls import libpq_url

    url = settings.app_database_url
    if url.startswith("postgresql"):
        return PostgresCheckpoints(libpq_url(url))
    return SqliteCheckpoints(settings.checkpoint_file)


def speech_config(settings: Settings) -> SpeechConfig:
    """Explicit speech values for ``agent.speech.registry`` (get_transcriber / get_synthesizer)."""
    from agent.speech.registry import SpeechConfig

    return SpeechConfig(
        models_dir=settings.models_path,
        stt_model=settings.stt_model,
        stt_threads=settings.stt_threads,
        beam_size=settings.stt_beam_size,
        short_context=settings.stt_short_context,
        max_mb=settings.stt_max_mb,
        max_seconds=settings.stt_max_seconds,
        tts_engine=settings.tts_engine,
        voice=settings.tts_voice,
        speed=settings.tts_speed,
        cache_dir=settings.tts_cache_dir,
        cache_mb=settings.tts_cache_mb,
        coqui_model_name=settings.coqui_model_name,
        coqui_model_path=settings.coqui_model_path,
        coqui_config_path=settings.coqui_config_path,
    )


def voice_loop_config(settings: Settings, *, hands_free: bool = True, out_rate: int = 24_000) -> VoiceLoopConfig:
    """The hands-free loop's knobs (``agent.voice.loop``) from settings."""
    from agent.voice.loop import VoiceLoopConfig
    from agent.voice.turns import TurnConfig

    turns = TurnConfig(
        silence_ms=settings.voice_silence_ms,
        pause_ms=min(settings.voice_pause_ms, settings.voice_silence_ms),
        min_speech_ms=settings.voice_min_speech_ms,
        max_utterance_s=settings.voice_max_utterance_s,
    )
    return VoiceLoopConfig(
        turns=turns,
        hands_free=hands_free,
        barge_in=settings.voice_barge_in,
        half_duplex=settings.voice_half_duplex,
        out_rate=out_rate,
    )


def local_speech_backend(settings: Settings) -> SpeechBackend:
    """This process's own STT/TTS engines (each built once, on first use)."""
    from agent.speech.registry import available_engines, get_synthesizer, get_transcriber
    from vozbd.speech_service import SpeechBackend

    config = speech_config(settings)
    return SpeechBackend(
        transcriber=lambda: get_transcriber(config),
        synthesizer=lambda engine: get_synthesizer(config, engine),
        available=lambda: available_engines(config),
    )


_REMOTE: dict[tuple[str, str | None], RemoteSpeech] = {}


def speech_backend(settings: Settings) -> SpeechBackend:
    """The speech engines every surface uses: a remote speech service when ``VOZBD_SPEECH_URL`` is set, else local."""
    if not settings.speech_url:
        return local_speech_backend(settings)
    from agent.speech.remote import RemoteSpeech
    from vozbd.speech_service import SpeechBackend

    token = settings.speech_token.get_secret_value() if settings.speech_token else None
    remote = _REMOTE.get((settings.speech_url, token))
    if remote is None:
        remote = _REMOTE.setdefault((settings.speech_url, token), RemoteSpeech(settings.speech_url, token=token))
    return SpeechBackend(transcriber=remote.transcriber, synthesizer=remote.synthesizer, available=remote.available)


class _LazyTranscriber:
    """Loads the STT engine on first use, so an agent can be built without speech models installed.

    A missing model surfaces as ``SpeechError`` (pt-BR) inside the turn, which the graph answers with.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def transcribe(self, audio: object, *, pcm16_rate: int | None = None) -> object:
        return speech_backend(self._settings).transcriber().transcribe(audio, pcm16_rate=pcm16_rate)  # type: ignore[arg-type]


def build_agent(
    settings: Settings,
    *,
    model: str | None = None,
    tool_ctx: ToolContext | None = None,
    checkpointer: object | None = None,
    speech: bool = True,
    memory: MemoryProvider | None = None,
    use_memory: bool = True,
) -> Agent:
    """The agent facade: ``model`` ("provider/model") or the default model (None → the agent explains how to
    configure one), the tool context, memory in ``checkpoint_store(settings)`` unless ``checkpointer`` is given,
    lazily loaded speech engines and the connection memory (verified examples, glossary) from the app database
    unless ``use_memory=False`` (evals: remembered gold SQL would leak into the prompts).
    Raises ``agent.llm.base.LLMError`` subclasses for a bad model spec."""
    from agent.llm.registry import default_model_spec, load_chat_model
    from agent.service import Agent, AgentConfig

    spec = model or default_model_spec(settings)
    llm = load_chat_model(spec, settings) if spec else None

    def synthesizer_factory(engine: str | None) -> Synthesizer:
        return speech_backend(settings).synthesizer(engine)

    return Agent(
        tool_ctx or build_tool_context(settings),
        llm,
        checkpointer=checkpointer if checkpointer is not None else checkpoint_store(settings),  # type: ignore[arg-type]
        transcriber=_LazyTranscriber(settings) if speech else None,  # type: ignore[arg-type]
        synthesizer_factory=synthesizer_factory if speech else None,
        config=AgentConfig.from_settings(settings),
        model_spec=spec,
        memory=(memory or LazyMemory(settings)) if use_memory else None,
    )


class LazyMemory:
    """Opens the app database's memory store (verified examples, glossary) on first use, once.

    An unreachable or misconfigured app database is logged once and means "no memory" for the agent."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: MemoryStore | None = None
        self._failed = False
        self._lock = threading.Lock()

    def __call__(self) -> MemoryStore | None:
        if self._store is not None or self._failed:
            return self._store
        with self._lock:
            if self._store is None and not self._failed:
                from tools.memory import MemoryStore
                from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError

                try:
                    self._store = MemoryStore(build_app_database(self._settings).engine, create_tables=False)
                except (AppDatabaseError, AppDatabaseConfigError) as error:
                    log.warning("app database unavailable, the agent runs without memory: %s", error.code)
                    self._failed = True
        return self._store
