"""The speech engines' explicit configuration, built by the composition root (``vozbd.wiring.speech_config``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.speech.audio import AudioLimits
    from agent.speech.cache import PhraseCache

DEFAULT_ENGINE = "kokoro"
FALLBACK_ENGINE = "espeak"


@dataclass(frozen=True)
class SpeechConfig:
    models_dir: Path
    stt_model: str = "whisper-base"
    stt_threads: int = 0
    beam_size: int = 5
    short_context: bool = True
    max_mb: float = 25.0
    max_seconds: float = 300.0
    tts_engine: str = DEFAULT_ENGINE
    voice: str = "pf_dora"
    speed: float = 1.0
    cache_dir: Path | None = None
    cache_mb: float = 0.0
    coqui_model_name: str | None = None
    coqui_model_path: Path | None = None
    coqui_config_path: Path | None = None

    @property
    def limits(self) -> AudioLimits:
        from agent.speech.audio import AudioLimits  # numpy: imported only when speech is used

        return AudioLimits(max_bytes=int(self.max_mb * 1024 * 1024), max_seconds=self.max_seconds)

    def cache(self) -> PhraseCache | None:
        from agent.speech.cache import PhraseCache

        return PhraseCache(self.cache_dir, self.cache_mb) if self.cache_dir and self.cache_mb > 0 else None
