"""The small speech interface every engine implements (one module per engine).

Speech-to-text: ``Transcriber.transcribe(...) -> Transcript``.
Text-to-speech: ``Synthesizer.synthesize(...) -> Iterator[AudioChunk]`` (streamed clause by clause) and
``Synthesizer.voices()``. Audio inside the app is mono float32 numpy arrays in [-1, 1] plus a sample rate;
encode to WAV/PCM only at the edges (``agent.speech.audio``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from vozbd_core.errors import CodedError

if TYPE_CHECKING:
    from agent.speech.vocabulary import SpeechVocabulary


class SpeechError(CodedError):
    """Base of speech errors; ``message`` is pt-BR for the end user, ``code`` is stable."""

    code = "speech_error"


class AudioInputError(SpeechError):
    """Audio refused or unreadable: too big, too long, corrupt, unsupported format."""

    code = "audio_invalid"


class NoSpeechError(SpeechError):
    """The audio holds no speech ("não ouvi nada")."""

    code = "no_speech"


class ModelMissingError(SpeechError):
    """A speech model or engine is not installed; the message says what to run or pip install."""

    code = "model_missing"


class RecognitionAbandoned(Exception):
    """A recognition stopped between its stages because its ``abandon`` check turned true (not a user-facing error:
    nobody waits for the result)."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    confidence: float
    segments: tuple[Segment, ...]
    duration_s: float
    processing_s: float
    heard: str | None = None
    """The text as recognised, before a connection's vocabulary corrected it (None: no vocabulary applied)."""


@dataclass(frozen=True)
class AudioChunk:
    samples: np.ndarray  # mono float32 in [-1, 1]
    sample_rate: int
    text: str = ""  # the clause this chunk speaks


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    language: str = "pt-br"
    gender: str | None = None


@runtime_checkable
class Transcriber(Protocol):
    def transcribe(
        self, audio: bytes | Path, *, pcm16_rate: int | None = None, vocabulary: SpeechVocabulary | None = None
    ) -> Transcript:
        """Transcribe a file (path or encoded bytes) or, with ``pcm16_rate``, raw mono PCM16 bytes at that rate.

        ``vocabulary``: a database's names to recognise exactly (``agent.speech.vocabulary``).
        """
        ...

    def warm_up(self) -> None:
        """Load the model now instead of on the first transcription."""
        ...


@runtime_checkable
class Synthesizer(Protocol):
    name: str

    def voices(self) -> list[Voice]: ...

    def synthesize(self, text: str, *, voice: str | None = None, speed: float | None = None) -> Iterator[AudioChunk]:
        """Speak ``text`` (already prepared for speech) as a stream of chunks, first clause first."""
        ...

    def warm_up(self, voice: str | None = None) -> None:
        """Load the model (and run it once) now instead of on the first sentence; bypasses the phrase cache."""
        ...


@dataclass
class SpeechTimings:
    stt_s: float | None = None
    tts_first_audio_s: float | None = None
    tts_total_s: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
