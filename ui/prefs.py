"""Per-chat preferences (the settings panel) and the per-stage timings of the last turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.config import UIConfig

DEMO = "demo"
CURRENT_URL = "url-atual"  # settings-panel value for a connection given as a URL (never sent to the browser)
NO_MODEL = "nenhum"  # settings-panel value meaning "no model configured" (Select values cannot be empty)


@dataclass
class Prefs:
    connection: str | None = None  # None/"demo" = the default connection (VOZBD_DEFAULT_DB or the demo DB)
    model: str | None = None  # None = the default model
    tts_engine: str = "kokoro"
    voice: str = "pf_dora"
    speed: float = 1.0
    auto_speak: bool = True
    hands_free: bool = True  # the mic stays open and the server detects the end of each question

    @classmethod
    def from_config(cls, config: UIConfig) -> Prefs:
        return cls(
            connection=config.default_db,
            tts_engine=config.tts_engine,
            voice=config.tts_voice,
            speed=config.tts_speed,
            auto_speak=config.auto_speak,
            hands_free=config.hands_free,
        )

    @property
    def is_url(self) -> bool:
        return bool(self.connection and "://" in self.connection)

    @property
    def connection_label(self) -> str:
        """What the user sees: the connection name, ``demo``, or a URL with its password masked."""
        if self.is_url:
            from tools.db.urls import mask_url

            return mask_url(str(self.connection))
        return self.connection or DEMO

    @property
    def connection_choice(self) -> str:
        """The settings-panel value of the active connection."""
        return CURRENT_URL if self.is_url else self.connection_label

    @property
    def connection_arg(self) -> str | None:
        """What to pass as ``connection=`` to tools/agent (None = default)."""
        return None if self.connection in (None, "", DEMO) else self.connection

    def apply(self, values: dict[str, Any]) -> list[str]:
        """Apply settings-panel values; returns the names of the fields that changed."""
        changed: list[str] = []
        for key in ("connection", "model", "tts_engine", "voice", "speed", "auto_speak", "hands_free"):
            if key not in values or values[key] is None:
                continue
            value = values[key]
            if key == "speed":
                value = float(value)
            elif key in ("auto_speak", "hands_free"):
                value = bool(value)
            elif key == "connection":
                if value == CURRENT_URL:
                    continue
                value = None if value in ("", DEMO) else str(value)
            elif key == "model":
                value = None if value in ("", NO_MODEL) else str(value)
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        return changed


@dataclass
class TurnTimings:
    """Seconds per stage of one turn, measured at the UI boundary (None = stage did not happen)."""

    stt_s: float | None = None
    llm_first_token_s: float | None = None
    sql_s: float | None = None
    tts_first_audio_s: float | None = None
    end_to_first_audio_s: float | None = None  # end of speech (or message received) -> first audio sent
    total_s: float | None = None
    voice: str | None = None
    tts_engine: str | None = None
    model: str | None = None
    extra: dict[str, float] = field(default_factory=dict)
    tts_started_at: float | None = field(default=None, repr=False)  # perf_counter when the first part's TTS began

    def to_log(self) -> str:
        parts = []
        for name in ("stt_s", "llm_first_token_s", "sql_s", "tts_first_audio_s", "end_to_first_audio_s", "total_s"):
            value = getattr(self, name)
            parts.append(f"{name}={value:.3f}" if value is not None else f"{name}=-")
        parts += [f"{name}={value:.3f}" for name, value in self.extra.items()]
        parts.append(f"voice={self.voice or '-'} engine={self.tts_engine or '-'} model={self.model or '-'}")
        return " ".join(parts)
