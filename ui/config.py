"""What the chat UI needs, handed to it by the composition root (``vozbd.wiring``): values and services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from agent.events import TurnResult
    from agent.factory import AgentFactory
    from agent.speech.engines import SpeechEngines
    from agent.voice.config import VoiceLoopConfig
    from tools.context import ToolContext

AuthMode = Literal["none", "password", "header"]


@dataclass(frozen=True)
class UIConfig:
    data_dir: Path
    """Chainlit's app root and the login secret live here."""
    uploads_dir: Path
    """Uploaded PDFs go here (it is one of pdf-read's allowed folders)."""
    log_level: str = "INFO"
    auth: AuthMode = "none"
    username: str = "admin"
    password: str | None = field(default=None, repr=False)
    auth_header: str = "X-Forwarded-User"
    auto_speak: bool = True
    default_db: str | None = None
    tts_engine: str = "kokoro"
    tts_voice: str = "pf_dora"
    tts_speed: float = 1.0
    hands_free: bool = True
    """The microphone opens a hands-free conversation (else push-to-talk)."""
    voice_loop: VoiceLoopConfig | None = None
    """The hands-free loop's knobs (None: ``agent.voice.loop`` defaults)."""


@dataclass(frozen=True)
class UIServices:
    """The config plus the process's shared services (one tool context, agent factory and speech cache)."""

    config: UIConfig
    tool_ctx: ToolContext
    agents: AgentFactory
    speech: SpeechEngines
    record_turn: TurnRecorder | None = None
    """Writes a chat turn to the conversation log (None: turns are not logged)."""
    history_url: str | None = field(default=None, repr=False)
    """App database URL (migrated) for Chainlit's history sidebar, used when a login is on (None: no history)."""


class TurnRecorder(Protocol):
    async def __call__(self, turn: TurnResult, *, user_id: str | None, model: str | None, voice: bool) -> None: ...
