"""espeak-ng (Debian package) as the light pt-BR fallback: a subprocess writing WAV to stdout."""

from __future__ import annotations

import logging
import shutil
import subprocess

import numpy as np

from agent.speech.audio import wav_to_samples
from agent.speech.base import ModelMissingError, SpeechError, Voice
from agent.speech.cache import PhraseCache
from agent.speech.synth import ClauseSynthesizer

log = logging.getLogger(__name__)

BASE_WPM = 165
VOICES = (
    Voice("pt-br", "espeak-ng pt-BR (masculina)", "pt-br", "male"),
    Voice("pt-br+f3", "espeak-ng pt-BR (feminina)", "pt-br", "female"),
)
# Kokoro voice ids map to the closest espeak voice when espeak stands in for Kokoro.
_ALIASES = {"pf_dora": "pt-br+f3", "pm_alex": "pt-br", "pm_santa": "pt-br"}


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng")


class EspeakSynthesizer(ClauseSynthesizer):
    name = "espeak"

    def __init__(self, *, default_voice: str = "pt-br", default_speed: float = 1.0, cache: PhraseCache | None = None):
        binary = espeak_binary()
        if binary is None:
            raise ModelMissingError("O espeak-ng não está instalado. Instale com: sudo apt-get install espeak-ng")
        super().__init__(
            default_voice=_ALIASES.get(default_voice, default_voice), default_speed=default_speed, cache=cache
        )
        self.binary = binary

    def voices(self) -> list[Voice]:
        return list(VOICES)

    def resolve_voice(self, voice: str | None) -> str:
        return super().resolve_voice(_ALIASES.get(voice, voice) if voice else None)

    def _render(self, text: str, voice: str, speed: float) -> tuple[np.ndarray, int]:
        # Text goes through stdin so it can never be read as an option.
        args = [self.binary, "-v", voice, "-s", str(round(BASE_WPM * speed)), "--stdout", "--stdin"]
        try:
            run = subprocess.run(args, input=text.encode(), capture_output=True, timeout=60, check=False)
        except subprocess.TimeoutExpired as error:
            raise SpeechError("O espeak-ng demorou demais para responder.", code="tts_failed") from error
        if run.returncode != 0 or len(run.stdout) <= 44:
            log.error("espeak-ng failed (rc=%s): %s", run.returncode, run.stderr.decode(errors="replace")[-300:])
            raise SpeechError("O espeak-ng não conseguiu gerar a fala.", code="tts_failed")
        return wav_to_samples(run.stdout)
