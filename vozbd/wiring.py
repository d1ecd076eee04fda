"""Composition root: the only code that reads ``Settings`` or holds process-wide services.

``load_settings(**overrides)`` reads the environment / ``.env`` once (CLI flags arrive as overrides);
``build_app(settings)`` turns it into one frozen ``App``: typed configs for every layer plus the shared
services (tool context, agent factory, speech engine cache). Surfaces (CLI, serve, MCP, UI, evals) receive
the ``App`` or the configs they need and never read settings themselves.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from agent.config import AgentConfig
from agent.factory import AgentFactory
from agent.llm.config import OPENAI_BASE_URL, LLMConfig
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from mcp_server.config import LOOPBACK_HOSTS, MCPConfig
from tools.audit import AuditSink
from tools.context import ColumnFilter, PdfLimits, QueryLimits, ToolContext, ValueIndexLimits
from tools.policy import ConnectionPolicy
from ui.config import UIConfig, UIServices
from vozbd.auth import AuthPolicy
from vozbd.metrics import StatementObservers, TurnObservers
from vozbd.settings import Settings
from vozbd.telemetry import telemetry_off

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from agent.checkpoint import CheckpointStore
    from agent.service import Agent
    from agent.speech.remote import RemoteSpeech
    from agent.voice.config import VoiceLoopConfig
    from tools.memory import MemoryStore
    from vozbd.api.deps import ApiLimits
    from vozbd.api.ratelimit import RateLimitConfig
    from vozbd.appdb.database import AppDatabase
    from vozbd.speech_service import SpeechBackend, SpeechServiceConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PathsConfig:
    data_dir: Path
    registry_file: Path
    secret_key_file: Path
    checkpoint_file: Path
    models_dir: Path
    uploads_dir: Path
    tts_cache_dir: Path


@dataclass(frozen=True)
class ServerConfig:
    """``vozbd serve`` / ``vozbd ui``: where to listen and the REST API's token."""

    host: str = "127.0.0.1"
    port: int = 8000
    api_token: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    workers: int = 1
    loop: str = "auto"
    """uvicorn's event loop: auto (uvloop when installed), asyncio or uvloop."""
    http: str = "auto"
    """uvicorn's HTTP/1.1 implementation: auto (httptools when installed), h11 or httptools."""

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS


@dataclass(frozen=True)
class App:
    """Everything a surface needs, built once per process by :func:`build_app`."""

    paths: PathsConfig
    llm: LLMConfig
    speech_config: SpeechConfig
    agent_config: AgentConfig
    server: ServerConfig
    mcp: MCPConfig
    ui_config: UIConfig
    tool_ctx: ToolContext
    speech: SpeechEngines
    agents: AgentFactory
    settings: Settings = field(repr=False)
    """The settings this App was built from — for the composition modules in ``vozbd/`` (server, api, cli) only;
    nothing below ``vozbd`` ever receives it."""
    app_database_url: str = field(default="", repr=False)
    """Where the app's own data lives (conversation logs, migrations): ``VOZBD_DATABASE_URL``."""
    turn_observers: TurnObservers = field(default_factory=TurnObservers, repr=False)
    """Told about every finished chat-UI turn (``vozbd serve`` feeds /metrics from it)."""

    def open_database(self, *, migrate: bool = True) -> AppDatabase:
        """The app database, migrated to head unless ``migrate=False``; the caller disposes it."""
        from vozbd.appdb.database import open_app_database

        return open_app_database(self.app_database_url, migrate=migrate)

    @cached_property
    def ui(self) -> UIServices:
        """What the chat UI receives (``ui.launch.serve`` / ``ui.mount.mount_ui``)."""
        from vozbd.turn_log import TurnRecorder

        return UIServices(
            config=self.ui_config,
            tool_ctx=self.tool_ctx,
            agents=self.agents,
            speech=self.speech,
            record_turn=TurnRecorder(self.open_database, surface="ui", observers=self.turn_observers),
            history_url=self.app_database_url or None,
        )


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment / ``.env``, with ``overrides`` (field name → value; None = not given).

    Raises ``pydantic.ValidationError`` for a bad value, whether it came from the environment or an override.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    unknown = set(given) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    telemetry_off()  # every entry point comes through here, before any dependency starts
    return Settings(**given)


def _secret(value: SecretStr | None) -> str | None:
    return (value.get_secret_value() or None) if value is not None else None


def _bytes(mb: float) -> int:
    """A size setting in MB (``*_MAX_MB``) as bytes."""
    return int(mb * 1024 * 1024)


def paths_config(settings: Settings) -> PathsConfig:
    return PathsConfig(
        data_dir=settings.data_dir,
        registry_file=settings.registry_file,
        secret_key_file=settings.secret_key_file,
        checkpoint_file=settings.checkpoint_file,
        models_dir=settings.models_path,
        uploads_dir=settings.uploads_dir,
        tts_cache_dir=settings.tts_cache_dir,
    )


def llm_config(settings: Settings) -> LLMConfig:
    """The LLM layer's config; keys are declared settings (``VOZBD_OPENAI_API_KEY``, else ``OPENAI_API_KEY`` ...)."""
    return LLMConfig(
        model=settings.model,
        temperature=settings.llm_temperature,
        timeout_s=settings.llm_timeout_s,
        openai_base_url=settings.openai_base_url or OPENAI_BASE_URL,
        openrouter_base_url=settings.openrouter_base_url,
        ollama_base_url=settings.ollama_base_url,
        openai_compatible_base_url=settings.openai_compatible_base_url,
        openai_api_key=_secret(settings.openai_api_key),
        gemini_api_key=_secret(settings.gemini_api_key),
        openrouter_api_key=_secret(settings.openrouter_api_key),
        openai_compatible_api_key=_secret(settings.openai_compatible_api_key),
    )


def speech_config(settings: Settings) -> SpeechConfig:
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


def agent_config(settings: Settings) -> AgentConfig:
    return AgentConfig(
        max_sql_attempts=settings.agent_max_sql_attempts,
        max_steps=settings.agent_max_steps,
        table_picker_min_tables=settings.table_picker_min_tables,
    )


def server_config(settings: Settings) -> ServerConfig:
    return ServerConfig(
        host=settings.host,
        port=settings.port,
        api_token=_secret(settings.api_token),
        log_level=settings.log_level,
        workers=settings.workers,
        loop=settings.server_loop,
        http=settings.server_http,
    )


def mcp_config(settings: Settings) -> MCPConfig:
    return MCPConfig(
        host=settings.host,
        tokens=tuple(key.token for key in AuthPolicy.from_settings(settings).keys_for("mcp")),
        connections=tuple(settings.mcp_connections) or ("*",),
        log_level=settings.log_level,
    )


def ui_config(settings: Settings) -> UIConfig:
    return UIConfig(
        data_dir=settings.data_dir,
        uploads_dir=settings.uploads_dir,
        log_level=settings.log_level,
        auth=settings.ui_auth,
        username=settings.ui_username,
        password=_secret(settings.ui_password),
        auth_header=settings.ui_auth_header,
        auto_speak=settings.ui_auto_speak,
        default_db=settings.default_db,
        tts_engine=settings.tts_engine,
        tts_voice=settings.tts_voice,
        tts_speed=settings.tts_speed,
        hands_free=settings.ui_hands_free,
        voice_loop=voice_loop_config(settings),
    )


def build_tool_context(settings: Settings) -> ToolContext:
    """Every connection visible (the MCP server narrows this with ``VOZBD_MCP_CONNECTIONS``)."""
    from tools.db.registry import ConnectionRegistry
    from vozbd.connections_config import declare

    secret = _secret(settings.secret_key)
    shared = shared_registry_database(settings)
    registry = ConnectionRegistry(
        settings.registry_file, secret_key=secret, key_file=settings.secret_key_file, database=shared
    )
    if shared is not None and not secret:
        log.warning(
            "saved connections are in the app database (shared by replicas) but VOZBD_SECRET_KEY is not set: "
            "each replica encrypts with its own key file, so a password saved on one cannot be read on another"
        )
    if settings.allow_privileged:
        log.warning(
            "VOZBD_ALLOW_PRIVILEGED is on: logins with more than read privileges are accepted for every connection; "
            "the SQL validator is their only barrier"
        )
    declared, policies = declare(settings.connections, registry)
    return ToolContext(
        registry=registry,
        query_limits=QueryLimits(
            max_rows=settings.max_rows,
            timeout_s=settings.query_timeout_s,
            max_cell_chars=settings.max_cell_chars,
            max_result_bytes=_bytes(settings.max_result_mb),
        ),
        pdf_limits=PdfLimits(
            allowed_dirs=tuple(settings.allowed_pdf_dirs),
            max_bytes=_bytes(settings.pdf_max_mb),
            max_pages=settings.pdf_max_pages,
            max_chars=settings.pdf_max_chars,
            time_budget_s=settings.pdf_time_budget_s,
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
        allow_privileged=settings.allow_privileged,
        allowed_connections=None,
        declared_connections=declared,
        policies=policies,
        audit=StatementObservers(query_audit_sink(settings) if settings.query_audit else None),
        column_filter=policy_column_filter(policies) if policies else None,
    )


def build_app(settings: Settings, *, tool_ctx: ToolContext | None = None) -> App:
    """The typed application object. Cheap: no model, database or network is touched until first use."""
    ctx = tool_ctx or build_tool_context(settings)
    paths = paths_config(settings)
    llm = llm_config(settings)
    agent_cfg = agent_config(settings)
    speech_cfg = speech_config(settings)
    engines = SpeechEngines(speech_cfg, remote=remote_speech(settings))
    return App(
        paths=paths,
        llm=llm,
        speech_config=speech_cfg,
        agent_config=agent_cfg,
        server=server_config(settings),
        mcp=mcp_config(settings),
        ui_config=ui_config(settings),
        tool_ctx=ctx,
        speech=engines,
        agents=AgentFactory(
            ctx,
            llm,
            agent_cfg,
            checkpoints=lambda: checkpoint_store(settings),
            memory=LazyMemory(settings),
            speech=engines,
        ),
        settings=settings,
        app_database_url=settings.app_database_url,
    )


def shared_registry_database(settings: Settings) -> Callable[[], Engine] | None:
    """Saved connections live in the app database when it is PostgreSQL (every replica sees the same ones);
    None = the local file (``VOZBD_REGISTRY_PATH``). The database is opened and migrated on first use."""
    if not settings.app_database_url.startswith("postgresql"):
        return None

    def open_engine() -> Engine:
        from tools.db.registry import RegistryError
        from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError

        try:
            return build_app_database(settings).engine
        except (AppDatabaseError, AppDatabaseConfigError) as error:
            raise RegistryError(
                "Não foi possível abrir o banco do aplicativo (VOZBD_DATABASE_URL), onde ficam as conexões salvas: "
                f"{error.message}",
                detail={"reason": type(error).__name__},
            ) from error

    return open_engine


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


def voice_loop_config(settings: Settings, *, hands_free: bool = True, out_rate: int = 24_000) -> VoiceLoopConfig:
    """The hands-free loop's knobs (``agent.voice.loop``) from settings."""
    from agent.voice.config import TurnConfig, VoiceLoopConfig

    turns = TurnConfig(
        silence_ms=settings.voice_silence_ms,
        pause_ms=min(settings.voice_pause_ms, settings.voice_silence_ms),
        min_speech_ms=settings.voice_min_speech_ms,
        max_utterance_s=settings.voice_max_utterance_s,
    )
    return VoiceLoopConfig(
        turns=turns,
        hands_free=hands_free,
        speculative_answer=settings.voice_speculative_answer,
        quiet_cue_db=settings.voice_quiet_cue_db,
        barge_in=settings.voice_barge_in,
        half_duplex=settings.voice_half_duplex,
        out_rate=out_rate,
    )


def remote_speech(settings: Settings) -> RemoteSpeech | None:
    """The speech service client when ``VOZBD_SPEECH_URL`` is set (engines then run on that service)."""
    if not settings.speech_url:
        return None
    from agent.speech.remote import RemoteSpeech

    return RemoteSpeech(settings.speech_url, token=speech_token(settings))


def speech_token(settings: Settings) -> str | None:
    """The bearer token of the speech service (``VOZBD_SPEECH_TOKEN``): what it requires and what clients send."""
    return _secret(settings.speech_token)


def api_limits(settings: Settings) -> ApiLimits:
    """Request limits of the REST API (and of the speech service, which takes the same settings)."""
    from vozbd.api.deps import ApiLimits

    return ApiLimits(
        max_rows=settings.api_max_rows,
        audio_max_bytes=_bytes(settings.stt_max_mb),
        audio_max_seconds=settings.stt_max_seconds,
        pdf_max_bytes=_bytes(settings.pdf_max_mb),
        json_max_bytes=settings.api_max_json_kb * 1024,
    )


def rate_limit_config(settings: Settings) -> RateLimitConfig:
    """Per-key and per-IP request rates of the REST API and the speech service (shared through Redis if set)."""
    from vozbd.api.ratelimit import RateLimitConfig

    return RateLimitConfig(
        per_key=settings.rate_limit_per_key, per_ip=settings.rate_limit_per_ip, redis_url=settings.redis_url
    )


def speech_service_config(settings: Settings, *, insecure: bool = False) -> SpeechServiceConfig:
    """Guard and limits of ``vozbd serve --only speech``: the same settings as the gateway's API."""
    from vozbd.speech_service import SpeechServiceConfig

    limits = api_limits(settings)
    return SpeechServiceConfig(
        token=speech_token(settings),
        max_audio_bytes=limits.audio_max_bytes,
        max_json_bytes=limits.json_max_bytes,
        bind_host=settings.host,
        allowed_hosts=tuple(settings.allowed_hosts),
        cors_origins=tuple(settings.cors_origins),
        rate_limits=rate_limit_config(settings),
        insecure=insecure,
    )


def local_speech_backend(settings: Settings) -> SpeechBackend:
    """This process's own STT/TTS engines, served by ``vozbd serve --only speech``."""
    from vozbd.speech_service import SpeechBackend, speech_status

    engines = SpeechEngines(speech_config(settings))
    return SpeechBackend(
        transcriber=engines.transcriber,
        synthesizer=engines.synthesizer,
        available=engines.available,
        status=lambda: speech_status(engines),
    )


def build_agent(
    settings: Settings,
    *,
    model: str | None = None,
    tool_ctx: ToolContext | None = None,
    checkpointer: Any = None,
    speech: bool = True,
    use_memory: bool = True,
) -> Agent:
    """Shorthand for ``build_app(settings, tool_ctx=...).agents.build(...)`` (one-off scripts and tests; a
    long-lived process keeps its ``App`` and builds agents from ``app.agents``)."""
    return build_app(settings, tool_ctx=tool_ctx).agents.build(
        model, speech=speech, checkpointer=checkpointer, use_memory=use_memory
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
