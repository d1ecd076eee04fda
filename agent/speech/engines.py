"""The one cache of speech engines of a process: built by the composition root, shared by every surface.

``SpeechEngines(config)`` builds each engine on first use and keeps it; builds of different engines run in
parallel (one lock per engine, no global lock), so loading Kokoro never blocks a transcription.
Nothing heavy (numpy, model runtimes) is imported until an engine is asked for.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from agent.speech.config import DEFAULT_ENGINE, FALLBACK_ENGINE, SpeechConfig

if TYPE_CHECKING:
    from agent.speech.base import Synthesizer, Transcriber, Transcript
    from agent.speech.remote import RemoteSpeech, RemoteTranscriber
    from agent.speech.stt_whisper import WhisperTranscriber
    from agent.speech.vocabulary import SpeechVocabulary

log = logging.getLogger(__name__)

_STT = "stt"


class SpeechEngines:
    """Typed accessors to the process's STT and TTS engines (each built once, on first use)."""

    def __init__(self, config: SpeechConfig, *, remote: RemoteSpeech | None = None) -> None:
        """``remote``: engines served by a speech service (``VOZBD_SPEECH_URL``) instead of loaded here."""
        self.config = config
        self.remote = remote
        self._locks_guard = threading.Lock()  # held only to create a per-engine lock, never while building
        self._locks: dict[str, threading.Lock] = {}
        self._transcriber: WhisperTranscriber | RemoteTranscriber | None = None
        self._synthesizers: dict[str, Synthesizer] = {}

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def transcriber(self) -> WhisperTranscriber | RemoteTranscriber:
        """The STT engine; raises ``ModelMissingError`` (pt-BR) when the model is not installed."""
        if self._transcriber is None:
            with self._lock(_STT):
                if self._transcriber is None:
                    from agent.speech.registry import build_transcriber

                    self._transcriber = self.remote.transcriber() if self.remote else build_transcriber(self.config)
                    log.info("speech-to-text engine ready: %s", self._transcriber.name)
        return self._transcriber

    def synthesizer(self, engine: str | None = None) -> Synthesizer:
        """The TTS engine ``engine`` (default: the configured one).

        When the configured default is Kokoro and its files are missing, espeak-ng stands in (with a warning);
        an engine asked for by name never falls back.
        """
        from agent.speech.base import ModelMissingError

        name = engine or self.config.tts_engine
        try:
            return self._synthesizer(name)
        except ModelMissingError as error:
            if engine is not None or name != DEFAULT_ENGINE:
                raise
            log.warning("TTS engine %s unavailable (%s); falling back to %s", name, error.message, FALLBACK_ENGINE)
            return self._synthesizer(FALLBACK_ENGINE)

    def _synthesizer(self, name: str) -> Synthesizer:
        cached = self._synthesizers.get(name)
        if cached is not None:
            return cached
        with self._lock(f"tts:{name}"):
            cached = self._synthesizers.get(name)
            if cached is None:
                from agent.speech.registry import build_synthesizer

                cached = self.remote.synthesizer(name) if self.remote else build_synthesizer(self.config, name)
                self._synthesizers[name] = cached
                log.info("text-to-speech engine ready: %s (%s)", name, type(cached).__name__)
            return cached

    def warm_up(self, *, stt: bool = True, tts_engine: str | None = None, voice: str | None = None) -> None:
        """Load the models now (STT, and the TTS engine named or configured) so the first turn does not wait."""
        if stt:
            self.transcriber().warm_up()
        self.synthesizer(tts_engine).warm_up(voice)

    def available(self) -> dict[str, str | None]:
        """Engine name → None when usable, else the reason (pt-BR) it is not. Loads no model."""
        from agent.speech.registry import available_engines

        return self.remote.available() if self.remote else available_engines(self.config)

    def loaded(self) -> dict[str, str]:
        """What is built right now (for diagnostics): {"stt": engine name, "tts:<engine>": engine name}, e.g.
        ``{"stt": "faster-whisper", "tts:kokoro": "kokoro"}`` (names users know, not class names)."""
        built = {f"tts:{name}": engine.name for name, engine in list(self._synthesizers.items())}
        if self._transcriber is not None:
            built = {_STT: self._transcriber.name, **built}
        return built

    def in_memory(self) -> dict[str, bool]:
        """Per built engine ("stt", "tts:<engine>"): whether its model is loaded in memory now (engines without
        a model file, like espeak-ng, count as loaded once built). Loads nothing."""
        built: dict[str, object] = {f"tts:{name}": engine for name, engine in list(self._synthesizers.items())}
        if self._transcriber is not None:
            built = {_STT: self._transcriber, **built}
        return {name: bool(getattr(engine, "is_loaded", True)) for name, engine in built.items()}

    def as_transcriber(self) -> Transcriber:
        """A ``Transcriber`` that builds the STT engine on its first call, so an agent can be built without models."""
        return _DeferredTranscriber(self)


class _DeferredTranscriber:
    def __init__(self, engines: SpeechEngines) -> None:
        self._engines = engines

    def transcribe(
        self, audio: bytes | Path, *, pcm16_rate: int | None = None, vocabulary: SpeechVocabulary | None = None
    ) -> Transcript:
        return self._engines.transcriber().transcribe(audio, pcm16_rate=pcm16_rate, vocabulary=vocabulary)

    def warm_up(self) -> None:
        self._engines.transcriber().warm_up()
