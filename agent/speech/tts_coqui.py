"""Coqui TTS (the maintained ``coqui-tts`` fork) as an optional engine: ``pip install 'vozbd[coqui]'``.

Loads a local VITS-style checkpoint (``coqui_model_path`` + ``coqui_config_path``) or, with hub access,
a zoo model by name (``coqui_model_name``). torch is imported only when the engine is built.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.speech.base import ModelMissingError, SpeechError, Voice
from agent.speech.cache import PhraseCache
from agent.speech.synth import ClauseSynthesizer

if TYPE_CHECKING:
    from agent.speech.config import SpeechConfig

log = logging.getLogger(__name__)

PIP_HINT = "pip install 'vozbd[coqui]'"


def coqui_unavailable_reason(config: SpeechConfig) -> str | None:
    if importlib.util.find_spec("TTS") is None:
        return f"coqui-tts não instalado: {PIP_HINT}"
    if config.coqui_model_path and not config.coqui_model_path.is_file():
        return f"checkpoint Coqui ausente: {config.coqui_model_path}"
    if config.coqui_model_path and not (config.coqui_config_path and config.coqui_config_path.is_file()):
        return "config Coqui ausente (VOZBD_COQUI_CONFIG_PATH)"
    return None


def _load(model_name: str, model_path: str, config_path: str) -> Any:
    """Load the Coqui model (slow: the synthesizer keeps it)."""
    try:
        from TTS.api import TTS
    except ImportError as error:
        raise ModelMissingError(f"Coqui TTS não está instalado. Rode: {PIP_HINT}") from error
    try:
        if model_path:
            return TTS(model_path=model_path, config_path=config_path, progress_bar=False)
        return TTS(model_name=model_name, progress_bar=False)
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        log.error("Could not load Coqui model %s: %s", model_path or model_name, error)
        raise ModelMissingError(f"Não consegui carregar o modelo Coqui '{model_path or model_name}'.") from error


class CoquiSynthesizer(ClauseSynthesizer):
    name = "coqui"

    def __init__(
        self,
        *,
        model_name: str = "",
        model_path: str = "",
        config_path: str = "",
        default_speed: float = 1.0,
        cache: PhraseCache | None = None,
    ) -> None:
        super().__init__(default_voice="default", default_speed=default_speed, cache=cache)
        self.model_name, self.model_path, self.config_path = model_name, model_path, config_path
        self._tts = _load(model_name, model_path, config_path)

    @classmethod
    def from_config(cls, config: SpeechConfig) -> CoquiSynthesizer:
        reason = coqui_unavailable_reason(config)
        if reason:
            raise ModelMissingError(f"Motor Coqui indisponível: {reason}.")
        return cls(
            model_name=config.coqui_model_name or "",
            model_path=str(config.coqui_model_path or ""),
            config_path=str(config.coqui_config_path or ""),
            default_speed=config.speed,
            cache=config.cache(),
        )

    def voices(self) -> list[Voice]:
        speakers = getattr(self._tts, "speakers", None) or []
        return [Voice("default", "Coqui (voz do modelo)")] + [Voice(s, s) for s in speakers]

    def _render(self, text: str, voice: str, speed: float) -> tuple[np.ndarray, int]:
        kwargs: dict[str, Any] = {"speed": speed}
        if voice != "default":
            kwargs["speaker"] = voice
        try:
            wav = self._tts.tts(text, **kwargs)
        except (RuntimeError, ValueError, KeyError) as error:
            log.error("Coqui synthesis failed: %s", error)
            raise SpeechError("O Coqui TTS não conseguiu gerar a fala.", code="tts_failed") from error
        rate = int(self._tts.synthesizer.output_sample_rate)
        return np.asarray(wav, dtype=np.float32).reshape(-1), rate
