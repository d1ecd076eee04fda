"""Pick speech engines by name from explicit config values; one instance per process and config.

``get_transcriber(config)``, ``get_synthesizer(config, engine=None)``, ``available_engines(config)``.
Engines are a dict of name → builder; callers never branch on engine names.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.speech.audio import AudioLimits
from agent.speech.base import ModelMissingError, SpeechError, Synthesizer
from agent.speech.cache import PhraseCache
from agent.speech.stt_whisper import WhisperTranscriber, resolve_model

log = logging.getLogger(__name__)

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
        return AudioLimits(max_bytes=int(self.max_mb * 1024 * 1024), max_seconds=self.max_seconds)

    def cache(self) -> PhraseCache | None:
        return PhraseCache(self.cache_dir, self.cache_mb) if self.cache_dir and self.cache_mb > 0 else None


def _kokoro(config: SpeechConfig) -> Synthesizer:
    from agent.speech.tts_kokoro import KokoroSynthesizer

    return KokoroSynthesizer.from_models_dir(
        config.models_dir, default_voice=config.voice, default_speed=config.speed, cache=config.cache()
    )


def _espeak(config: SpeechConfig) -> Synthesizer:
    from agent.speech.tts_espeak import EspeakSynthesizer

    return EspeakSynthesizer(default_voice=config.voice, default_speed=config.speed, cache=config.cache())


def _coqui(config: SpeechConfig) -> Synthesizer:
    from agent.speech.tts_coqui import CoquiSynthesizer

    return CoquiSynthesizer.from_config(config)


ENGINES: dict[str, Callable[[SpeechConfig], Synthesizer]] = {"kokoro": _kokoro, "espeak": _espeak, "coqui": _coqui}

_synthesizers: dict[tuple[str | None, SpeechConfig], Synthesizer] = {}
_transcribers: dict[SpeechConfig, WhisperTranscriber] = {}
_lock = threading.Lock()


def get_transcriber(config: SpeechConfig) -> WhisperTranscriber:
    """The STT engine (model loaded lazily on first transcription, once per process)."""
    with _lock:
        transcriber = _transcribers.get(config)
        if transcriber is None:
            path = resolve_model(config.stt_model, config.models_dir)
            transcriber = WhisperTranscriber(
                path,
                threads=config.stt_threads,
                beam_size=config.beam_size,
                limits=config.limits,
                short_context=config.short_context,
            )
            _transcribers[config] = transcriber
        return transcriber


def get_synthesizer(config: SpeechConfig, engine: str | None = None) -> Synthesizer:
    """The TTS engine named ``engine`` (default: ``config.tts_engine``).

    When the configured default is Kokoro and its files are missing, espeak-ng stands in (with a warning);
    an engine asked for explicitly never falls back.
    """
    name = engine or config.tts_engine
    if name not in ENGINES:
        raise SpeechError(f"Motor de voz desconhecido: '{name}'. Opções: {', '.join(ENGINES)}.", code="unknown_engine")
    with _lock:
        cached = _synthesizers.get((engine, config))
        if cached is not None:
            return cached
        try:
            synthesizer = ENGINES[name](config)
        except ModelMissingError as error:
            if engine is not None or name != DEFAULT_ENGINE:
                raise
            log.warning("TTS engine %s unavailable (%s); falling back to %s", name, error.message, FALLBACK_ENGINE)
            synthesizer = ENGINES[FALLBACK_ENGINE](config)
        _synthesizers[(engine, config)] = synthesizer
        return synthesizer


def available_engines(config: SpeechConfig) -> dict[str, str | None]:
    """Engine name → None when usable, else the reason (pt-BR) it is not. Cheap: loads no model."""
    from agent.speech import models
    from agent.speech.tts_espeak import espeak_binary

    reasons: dict[str, str | None] = {}
    reasons["kokoro"] = (
        None if models.kokoro_files(config.models_dir) else "modelo/vozes ausentes: vozbd models install"
    )
    reasons["espeak"] = None if espeak_binary() else "espeak-ng não instalado: sudo apt-get install espeak-ng"
    try:
        from agent.speech.tts_coqui import coqui_unavailable_reason

        reasons["coqui"] = coqui_unavailable_reason(config)
    except ImportError:
        reasons["coqui"] = "módulo coqui ausente"
    return reasons


def clear_caches() -> None:
    """Forget engine instances (tests that change config files on disk)."""
    with _lock:
        _synthesizers.clear()
        _transcribers.clear()
