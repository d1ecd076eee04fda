"""Speech-to-text with faster-whisper (CTranslate2, int8, CPU), pt-BR.

Each ``WhisperTranscriber`` loads its model once, lazily (``agent.speech.engines`` keeps one per process):
CTranslate2 models accept concurrent ``transcribe`` calls from several threads (requests queue inside the
model's workers).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.speech.audio import STT_RATE, AudioLimits, read_audio, read_pcm16
from agent.speech.base import ModelMissingError, NoSpeechError, Segment, Transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

NO_SPEECH = "Não ouvi nada. Fale um pouco mais perto do microfone e tente de novo."
_SILENCE_PEAK = 1e-3  # below this peak amplitude there is nothing to transcribe


def resolve_model(stt_model: str, models_dir: Path) -> str:
    """A directory (as given, or under ``models_dir``) → its path. Anything else is a hub name (needs internet)."""
    for candidate in (Path(stt_model).expanduser(), models_dir / stt_model):
        if candidate.is_dir():
            if not (candidate / "model.bin").is_file():
                raise ModelMissingError(
                    f"Pasta do modelo de voz sem model.bin: {candidate}. Rode: vozbd models install"
                )
            return str(candidate)
    if stt_model == "whisper-base" or "/" in stt_model or stt_model.startswith("."):
        raise ModelMissingError(
            f"Modelo de transcrição '{stt_model}' não encontrado em {models_dir}. Rode: vozbd models install"
        )
    log.warning("STT model %r is not a directory: faster-whisper will try to download it from the hub", stt_model)
    return stt_model


def load_model(path: str, threads: int = 0, workers: int = 1) -> WhisperModel:
    """Load the CTranslate2 model at ``path`` (slow: callers keep it)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as error:
        raise ModelMissingError("faster-whisper não está instalado. Rode: pip install 'vozbd[speech]'") from error
    started = time.perf_counter()
    try:
        model = WhisperModel(
            path,
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=workers,
            local_files_only=False,
        )
    except (OSError, RuntimeError, ValueError) as error:
        log.error("Could not load STT model %s: %s", path, error)
        raise ModelMissingError(
            f"Não consegui carregar o modelo de transcrição '{path}'. Rode: vozbd models install"
        ) from error
    log.info("Loaded STT model %s in %.2f s", path, time.perf_counter() - started)
    return model


def confidence_of(segments: Iterable[Segment]) -> float:
    """exp of the duration-weighted mean of the segments' avg_logprob, in [0, 1]."""
    weights = [(max(s.end - s.start, 0.01), s.avg_logprob) for s in segments]
    total = sum(w for w, _ in weights)
    if not total:
        return 0.0
    return float(min(1.0, math.exp(sum(w * lp for w, lp in weights) / total)))


class WhisperTranscriber:
    """``Transcriber`` over faster-whisper; see ``agent.speech.base``."""

    name = "faster-whisper"

    def __init__(
        self, model_path: str, *, threads: int = 0, beam_size: int = 5, limits: AudioLimits = AudioLimits()
    ) -> None:
        self.model_path = model_path
        self.threads = threads
        self.beam_size = beam_size
        self.limits = limits
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()

    @property
    def model(self) -> WhisperModel:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = load_model(self.model_path, self.threads)
        return self._model

    def warm_up(self) -> None:
        _ = self.model

    def decode(self, audio: bytes | Path | str, *, pcm16_rate: int | None = None) -> np.ndarray:
        if pcm16_rate is not None:
            if not isinstance(audio, bytes | bytearray):
                audio = Path(audio).read_bytes()
            return read_pcm16(bytes(audio), pcm16_rate, self.limits)
        samples, _ = read_audio(audio, self.limits)
        return samples

    def transcribe(self, audio: bytes | Path | str, *, pcm16_rate: int | None = None) -> Transcript:
        started = time.perf_counter()
        samples = self.decode(audio, pcm16_rate=pcm16_rate)
        return self.transcribe_samples(samples, started=started)

    def transcribe_samples(self, samples: np.ndarray, *, started: float | None = None) -> Transcript:
        """Transcribe mono float32 samples at 16 kHz."""
        started = time.perf_counter() if started is None else started
        duration = samples.size / STT_RATE
        if samples.size == 0 or float(np.max(np.abs(samples))) < _SILENCE_PEAK:
            raise NoSpeechError(NO_SPEECH)
        raw_segments, _info = self.model.transcribe(
            samples,
            language="pt",
            beam_size=self.beam_size,
            vad_filter=True,
            condition_on_previous_text=False,
        )
        segments = tuple(_segment(s) for s in raw_segments if s.text.strip())
        text = " ".join(s.text for s in segments).strip()
        if not text:
            raise NoSpeechError(NO_SPEECH)
        return Transcript(
            text=text,
            language="pt",
            confidence=confidence_of(segments),
            segments=segments,
            duration_s=round(duration, 3),
            processing_s=round(time.perf_counter() - started, 3),
        )

    def transcribe_many(self, sources: Iterable[bytes | Path | str]) -> list[Transcript]:
        return [self.transcribe(source) for source in sources]


def _segment(raw: Any) -> Segment:
    return Segment(
        start=float(raw.start), end=float(raw.end), text=raw.text.strip(), avg_logprob=float(raw.avg_logprob)
    )
