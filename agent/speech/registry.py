"""Build speech engines by name from explicit config values (no caching here: ``agent.speech.engines`` caches).

``build_transcriber(config)``, ``build_synthesizer(config, engine=None)``, ``available_engines(config)``.
Engines are a dict of name → builder; callers never branch on engine names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from agent.speech.base import ModelMissingError, SpeechError, Synthesizer
from agent.speech.config import DEFAULT_ENGINE, FALLBACK_ENGINE, SpeechConfig
from agent.speech.stt_whisper import WhisperTranscriber, resolve_model

log = logging.getLogger(__name__)


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


def build_transcriber(config: SpeechConfig) -> WhisperTranscriber:
    """A new STT engine (its model loads lazily on the first transcription or ``warm_up``)."""
    path = resolve_model(config.stt_model, config.models_dir)
    return WhisperTranscriber(
        path,
        threads=config.stt_threads,
        beam_size=config.beam_size,
        limits=config.limits,
        short_context=config.short_context,
    )


def build_synthesizer(config: SpeechConfig, engine: str | None = None) -> Synthesizer:
    """A new TTS engine named ``engine`` (default: ``config.tts_engine``).

    When the configured default is Kokoro and its files are missing, espeak-ng stands in (with a warning);
    an engine asked for explicitly never falls back.
    """
    name = engine or config.tts_engine
    if name not in ENGINES:
        raise SpeechError(f"Motor de voz desconhecido: '{name}'. Opções: {', '.join(ENGINES)}.", code="unknown_engine")
    try:
        return ENGINES[name](config)
    except ModelMissingError as error:
        if engine is not None or name != DEFAULT_ENGINE:
            raise
        log.warning("TTS engine %s unavailable (%s); falling back to %s", name, error.message, FALLBACK_ENGINE)
        return ENGINES[FALLBACK_ENGINE](config)


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
