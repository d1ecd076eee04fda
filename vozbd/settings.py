"""All runtime settings, read once per entry point from the environment / ``.env``.

Every field is documented in ``.env.example`` (a test keeps them in step).
Prefix: ``VOZBD_``. Nothing here is read at import time: call ``Settings()``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vozbd.connections_config import ConnectionConfig

_REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
_RATE = re.compile(r"^[1-9]\d*\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?$", re.IGNORECASE)


def _env_alias(field: str, *conventional: str) -> AliasChoices:
    """``VOZBD_<FIELD>`` first, then the provider's conventional env names (what its own SDK reads), then the
    field name itself (init kwargs, the TOML file)."""
    return AliasChoices(f"VOZBD_{field.upper()}", *conventional, field)


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "vozbd"


CONFIG_FILE_NAME = "config.toml"


def config_file_path(init: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Path:
    """Where the config file is read from: ``config_file`` / ``VOZBD_CONFIG_FILE``, else DATA_DIR/config.toml
    (``data_dir`` / ``VOZBD_DATA_DIR`` / the default data dir) — never relative to the working directory."""
    init = init or {}
    environ = dict(os.environ) if environ is None else environ
    explicit = init.get("config_file") or environ.get("VOZBD_CONFIG_FILE")
    if explicit:
        return Path(explicit).expanduser()
    data_dir = init.get("data_dir") or environ.get("VOZBD_DATA_DIR") or _default_data_dir()
    return Path(data_dir).expanduser() / CONFIG_FILE_NAME


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOZBD_", env_file=".env", extra="ignore", populate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags/arguments > environment > .env > the TOML config file > defaults."""
        init = getattr(init_settings, "init_kwargs", {})
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path(init))
        return init_settings, env_settings, dotenv_settings, toml, file_secret_settings

    # --- storage -------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir, description="Where vozbd keeps its files.")
    config_file: Path | None = Field(
        None, description="TOML config file (default: DATA_DIR/config.toml); env vars and flags override it."
    )
    connections: dict[str, ConnectionConfig] = Field(
        default_factory=dict,
        description="Connections declared in the config file ([connections.NAME]: url, password_env, tls, ssh, policy)",
    )
    registry_path: Path | None = Field(
        None,
        description="SQLite file of saved connections (default: DATA_DIR/vozbd.sqlite3); unused when the app "
        "database is PostgreSQL (saved connections are then in it, shared by replicas).",
    )
    secret_key: SecretStr | None = Field(
        None, description="Fernet key encrypting saved passwords (default: DATA_DIR/secret.key, 0600)."
    )
    database_url: SecretStr | None = Field(
        None,
        description="App database (conversation logs, memory, chat history) as a SQLAlchemy URL; "
        "default sqlite:///DATA_DIR/app.sqlite3, PostgreSQL for teams (postgresql://user:pw@host/db).",
    )

    # --- databases / safe-query ---------------------------------------------
    default_db: str | None = Field(
        None, description="Connection name or SQLAlchemy URL used when none is given (default: demo)."
    )
    max_rows: int = Field(1000, ge=1, le=100_000)
    query_timeout_s: float = Field(15.0, gt=0, le=3600)
    allow_privileged: bool = Field(
        False,
        description="Accept, for every connection, a login that may do more than read (risky; warned at start).",
    )
    max_cell_chars: int = Field(4000, ge=100, le=1_000_000, description="Longer text values are cut, with a marker.")
    max_result_mb: float = Field(4.0, gt=0, le=256, description="Fetching stops past this many MB of values.")
    schema_cache_ttl_s: int = Field(300, ge=0)
    schema_prompt_budget: int = Field(6000, ge=200)
    value_index: bool = Field(True, description="Index the databases' text values to name them in prompts.")
    value_index_wait_s: float = Field(1.0, ge=0, le=60)
    value_index_time_s: float = Field(20.0, gt=0, le=600)
    value_index_max_values: int = Field(200_000, ge=1000, le=5_000_000)
    dict_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("/usr/share/dictd")],
        description="Folders with FreeDict pt<->en dictionaries for schema linking (comma separated).",
    )

    query_audit: bool = Field(
        True, description="Record every SQL statement a tool runs in the app database (vozbd audit)."
    )

    # --- pdf-read ------------------------------------------------------------
    pdf_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Extra folders PDFs may be read from (comma separated)."
    )
    pdf_max_mb: float = Field(50.0, gt=0)
    pdf_max_pages: int = Field(2000, ge=1)
    pdf_max_chars: int = Field(20_000, ge=500)
    pdf_time_budget_s: float = Field(
        5.0, gt=0, le=300, description="Wall-clock budget of one read_pdf call's text extraction (killable worker)."
    )

    # --- LLM -----------------------------------------------------------------
    model: str | None = Field(
        None,
        description='LLM as "provider/model", e.g. ollama/qwen2.5:7b. Unset: a local server that answers (Ollama, '
        "then OpenAI-compatible); a hosted provider is used only when named here or picked in the UI.",
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=_env_alias("openai_api_key", "OPENAI_API_KEY"), description="OpenAI API key."
    )
    openai_base_url: str | None = Field(
        None, validation_alias=_env_alias("openai_base_url", "OPENAI_BASE_URL"), description="OpenAI API base URL."
    )
    gemini_api_key: SecretStr | None = Field(
        None,
        validation_alias=_env_alias("gemini_api_key", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
        description="Google Gemini API key.",
    )
    openrouter_api_key: SecretStr | None = Field(
        None, validation_alias=_env_alias("openrouter_api_key", "OPENROUTER_API_KEY"), description="OpenRouter key."
    )
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    ollama_base_url: str = "http://127.0.0.1:11434"
    openai_compatible_base_url: str = "http://127.0.0.1:8080/v1"
    openai_compatible_api_key: SecretStr | None = None
    llm_temperature: float = Field(0.0, ge=0, le=2)
    llm_timeout_s: float = Field(60.0, gt=0)
    agent_max_sql_attempts: int = Field(3, ge=1, le=10)
    agent_max_steps: int = Field(12, ge=2, le=50)
    table_picker_min_tables: int = Field(
        80, ge=0, description="Schemas with this many tables get an LLM table-picking step first (0 = never)."
    )
    checkpoint_path: Path | None = Field(
        None, description="SQLite checkpointer file (default: DATA_DIR/checkpoints.sqlite3)."
    )

    # --- speech --------------------------------------------------------------
    models_dir: Path | None = Field(None, description="Speech models folder (default: DATA_DIR/models).")
    stt_model: str = Field("whisper-base", description="CTranslate2 model directory, or a name under MODELS_DIR.")
    stt_threads: int = Field(0, ge=0, description="CPU threads for STT (0 = all cores).")
    stt_beam_size: int = Field(5, ge=1, le=10)
    stt_max_mb: float = Field(25.0, gt=0)
    stt_max_seconds: float = Field(300.0, gt=0)
    stt_short_context: bool = Field(
        True, description="Voice loop: decode short utterances with a short Whisper window (~5x faster)."
    )
    tts_engine: Literal["kokoro", "espeak", "coqui"] = "kokoro"
    tts_voice: str = "pf_dora"
    tts_speed: float = Field(1.0, ge=0.5, le=2.0)
    tts_cache_mb: int = Field(200, ge=0)
    speech_url: str | None = Field(
        None, description="URL of a `vozbd serve --only speech` service; STT/TTS run there instead of here."
    )
    speech_token: SecretStr | None = Field(
        None, description="Bearer token of the speech service (required by it off loopback; sent by gateways)."
    )
    coqui_model_name: str = "tts_models/pt/cv/vits"
    coqui_model_path: Path | None = None
    coqui_config_path: Path | None = None

    # --- hands-free voice conversation (agent/voice) ---------------------------
    voice_silence_ms: int = Field(600, ge=200, le=5000, description="Silence that ends an utterance.")
    voice_pause_ms: int = Field(
        32, ge=32, le=2000, description="Pause that starts speculative recognition (32 ms: one VAD window)."
    )
    voice_quiet_cue_db: float = Field(
        36.0,
        ge=0,
        le=80,
        description="Start speculative recognition as soon as the sound falls this many dB below the voice (0: off).",
    )
    voice_min_speech_ms: int = Field(250, ge=50, le=5000, description="Shorter utterances are ignored.")
    voice_max_utterance_s: float = Field(20.0, ge=2, le=120, description="An utterance is cut at this length.")
    voice_speculative_answer: bool = Field(
        True, description="Start answering at the first short pause (a draft, dropped if the user goes on speaking)."
    )
    voice_barge_in: bool = Field(True, description="Speaking over an answer interrupts it.")
    voice_half_duplex: bool = Field(
        False, description="Ignore the microphone while an answer plays (clients without echo cancellation)."
    )

    # --- MCP -----------------------------------------------------------------
    mcp_token: SecretStr | None = None
    mcp_connections: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"], description='Connections the MCP server exposes ("*" = all saved, plus demo).'
    )

    # --- web UI / server -----------------------------------------------------
    api_token: SecretStr | None = Field(None, description="A REST API key named 'api' (like one of VOZBD_API_KEYS).")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        1, ge=1, le=32, description="`vozbd serve` worker processes (API only when > 1: UI and MCP keep sessions)."
    )
    server_loop: Literal["auto", "asyncio", "uvloop"] = Field(
        "auto", description="`vozbd serve` event loop: auto = uvloop when installed (not on Windows), else asyncio."
    )
    server_http: Literal["auto", "h11", "httptools"] = Field(
        "auto", description="`vozbd serve` HTTP/1.1 parser: auto = httptools when installed, else h11."
    )
    ui_auth: Literal["none", "password", "header"] = "none"
    ui_username: str = "admin"
    ui_password: SecretStr | None = None
    ui_auth_header: str = "X-Forwarded-User"
    ui_auto_speak: bool = True
    ui_hands_free: bool = Field(
        True, description="Voice chat: one click opens the mic and the server hears when you stop (else push-to-talk)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    gc_thresholds: Annotated[tuple[int, int, int] | None, NoDecode] = Field(
        (20_000, 50, 100),
        description="Servers (serve, ui): freeze startup objects and use these garbage-collector thresholds, "
        '"G0,G1,G2"; "python" keeps CPython\'s defaults.',
    )

    # --- REST API v1, surface security, rate limits ----------------------------
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description='Named API keys "name:token" (comma separated); the name identifies the caller in logs/limits.',
    )
    api_admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="API key names allowed to add/delete connections over REST."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host headers accepted (DNS-rebinding check); default: loopback names, or any host when "
        "bound to 0.0.0.0 (credentials are then required).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Extra browser origins allowed to call the API (default: same origin only)."
    )
    redis_url: str | None = Field(None, description="Redis URL; rate limits are shared through it when set.")
    rate_limit_per_key: str = Field("120/minute", description='REST requests per API key, e.g. "120/minute".')
    rate_limit_per_ip: str = Field("300/minute", description='Requests per client IP, e.g. "300/minute".')
    api_max_rows: int = Field(200, ge=1, le=100_000, description="Rows returned per result by POST /api/v1/ask.")
    api_max_json_kb: int = Field(256, ge=1, description="Largest JSON request body accepted by the API (KiB).")

    @field_validator("pdf_dirs", "dict_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p.strip()).expanduser() for p in value.split(",") if p.strip()]
        return value

    @field_validator("gc_thresholds", mode="before")
    @classmethod
    def _parse_gc_thresholds(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip().lower() in ("python", "default", "off", ""):
            return None
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError('expected three positive integers "G0,G1,G2" (e.g. 20000,50,100) or "python"')
        return tuple(int(p) for p in parts)

    @field_validator("api_keys", "api_admins", "allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("rate_limit_per_key", "rate_limit_per_ip", mode="after")
    @classmethod
    def _parse_rate(cls, value: str) -> str:
        # The notation of the `limits` library (checked here without importing it: it is a server extra).
        parts = [p.strip() for p in re.split(r"[;,]", value) if p.strip()]
        if not parts or not all(_RATE.match(p) for p in parts):
            raise ValueError(f'rate limit "{value}" is not like "120/minute" or "10/second;500/hour"')
        return value

    @field_validator("speech_url", mode="after")
    @classmethod
    def _check_speech_url(cls, value: str | None) -> str | None:
        """``http(s)://host:port`` of a ``vozbd serve --only speech`` (a typo made every STT/TTS call a 503)."""
        value = (value or "").strip() or None
        if value is not None and not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
            raise ValueError("use the speech service's address, like http://fala.interna:8010")
        return value

    @field_validator("redis_url", mode="after")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        """A URL the ``limits`` library can open (checked at start: a typo was a traceback from ``serve``)."""
        value = (value or "").strip() or None
        if value is None:
            return None
        scheme = value.removeprefix("async+").partition("://")[0].lower() if "://" in value else ""
        if scheme not in _REDIS_SCHEMES:
            raise ValueError(f"use a Redis URL like redis://host:6379/0 ({', '.join(_REDIS_SCHEMES)})")
        return value

    @field_validator("api_keys", mode="after")
    @classmethod
    def _check_keys(cls, value: list[str]) -> list[str]:
        for item in value:
            name, sep, token = item.partition(":")
            if not sep or not name.strip() or len(token.strip()) < 16:
                raise ValueError('each API key is "name:token" with a token of at least 16 characters')
        return value

    @field_validator("mcp_connections", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()] or ["*"]
        return value

    @field_validator("data_dir", "registry_path", "checkpoint_path", "models_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    # --- derived paths (always use these, never the raw optional fields) ---------
    @property
    def config_path(self) -> Path:
        """The config file these settings were read from (it may not exist)."""
        return config_file_path({"config_file": self.config_file, "data_dir": self.data_dir}, {})

    @property
    def registry_file(self) -> Path:
        return self.registry_path or self.data_dir / "vozbd.sqlite3"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def app_database_url(self) -> str:
        """The app database URL, normalised (``postgres://`` → ``postgresql+psycopg://``); SQLite by default."""
        from vozbd.appdb.urls import normalize_app_db_url

        if self.database_url is None:
            return f"sqlite:///{self.data_dir / 'app.sqlite3'}"
        return normalize_app_db_url(self.database_url.get_secret_value())

    @property
    def checkpoint_file(self) -> Path:
        return self.checkpoint_path or self.data_dir / "checkpoints.sqlite3"

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def tts_cache_dir(self) -> Path:
        return self.data_dir / "tts-cache"

    @property
    def allowed_pdf_dirs(self) -> list[Path]:
        return [self.uploads_dir, *self.pdf_dirs]
