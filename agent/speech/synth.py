"""Shared streaming for every TTS engine: split into clauses, serve each from the phrase cache or the engine.

An engine subclasses ``ClauseSynthesizer`` and implements ``_render(clause, voice, speed) -> (samples, rate)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from agent.speech.base import AudioChunk, SpeechError, Voice
from agent.speech.cache import PhraseCache
from agent.speech.textprep import split_for_speech

log = logging.getLogger(__name__)


class ClauseSynthesizer:
    name = "base"

    def __init__(self, *, default_voice: str, default_speed: float = 1.0, cache: PhraseCache | None = None) -> None:
        self.default_voice = default_voice
        self.default_speed = default_speed
        self.cache = cache

    def voices(self) -> list[Voice]:
        raise NotImplementedError

    def resolve_voice(self, voice: str | None) -> str:
        voice = voice or self.default_voice
        known = [v.id for v in self.voices()]
        if voice not in known:
            raise SpeechError(
                f"Voz '{voice}' não existe no motor {self.name}. Vozes disponíveis: {', '.join(known)}.",
                code="unknown_voice",
            )
        return voice

    def resolve_speed(self, speed: float | None) -> float:
        speed = self.default_speed if speed is None else float(speed)
        if not 0.5 <= speed <= 2.0:
            raise SpeechError(f"Velocidade inválida: {speed}. Use um valor entre 0,5 e 2,0.", code="invalid_speed")
        return speed

    def _render(self, text: str, voice: str, speed: float) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def warm_up(self, voice: str | None = None) -> None:
        """Render a short phrase straight through the engine (a phrase-cache hit would not load the model)."""
        known = [v.id for v in self.voices()]
        chosen = voice if voice in known else (self.default_voice if self.default_voice in known else known[0])
        self._render("Olá.", chosen, 1.0)

    def synthesize(self, text: str, *, voice: str | None = None, speed: float | None = None) -> Iterator[AudioChunk]:
        """Speak ``text`` (already prepared for speech) clause by clause; the first clause is yielded first."""
        voice = self.resolve_voice(voice)
        speed = self.resolve_speed(speed)
        clauses = split_for_speech(text)
        if not clauses:
            raise SpeechError("Não há texto para falar.", code="empty_text")
        return self._stream(clauses, voice, speed)

    def _stream(self, clauses: list[str], voice: str, speed: float) -> Iterator[AudioChunk]:
        for clause in clauses:
            yield self._clause(clause, voice, speed)

    def synthesize_clause(self, clause: str, *, voice: str | None = None, speed: float | None = None) -> AudioChunk:
        """One already-split clause as one chunk (no further splitting), through the phrase cache."""
        return self._clause(clause, self.resolve_voice(voice), self.resolve_speed(speed))

    def _clause(self, clause: str, voice: str, speed: float) -> AudioChunk:
        key = PhraseCache.key(self.name, voice, speed, clause) if self.cache else ""
        hit = self.cache.get(key) if self.cache else None
        if hit is not None:
            samples, rate = hit
        else:
            samples, rate = self._render(clause, voice, speed)
            if self.cache:
                self.cache.put(key, samples, rate)
        return AudioChunk(samples=samples.astype(np.float32, copy=False), sample_rate=rate, text=clause)
