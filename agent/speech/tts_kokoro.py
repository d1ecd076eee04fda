"""Kokoro-82M (v1.0 int8 ONNX) via kokoro-onnx, pt-BR voices pf_dora / pm_alex / pm_santa.

espeak-ng phonemes come from the ``espeakng-loader`` wheel (kokoro-onnx finds its library and data there),
so no system package is needed. Each synthesizer loads its ONNX session once, lazily
(``agent.speech.engines`` keeps one synthesizer per process).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from agent.speech import models
from agent.speech.base import ModelMissingError, SpeechError, Voice
from agent.speech.cache import PhraseCache
from agent.speech.synth import ClauseSynthesizer

if TYPE_CHECKING:
    from kokoro_onnx import Kokoro

log = logging.getLogger(__name__)

VOICES = (
    Voice("pf_dora", "Dora", "pt-br", "female"),
    Voice("pm_alex", "Alex", "pt-br", "male"),
    Voice("pm_santa", "Santa", "pt-br", "male"),
)


def session_options(threads: int = 0) -> object:
    """onnxruntime options for a CPU shared with other work (the STT, the server, other processes).

    Worker threads do not spin-wait between operators (spinning burns the CPU time the other engines need and,
    on an oversubscribed machine, slows Kokoro itself down); operators run one after another on ``threads``
    intra-op threads (0: onnxruntime's default, one per physical core).
    """
    import onnxruntime as rt  # type: ignore[import-untyped]  # onnxruntime ships no type hints

    options = rt.SessionOptions()
    options.execution_mode = rt.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads > 0:
        options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def load_kokoro(model_path: Path, voices_path: Path, threads: int = 0) -> Kokoro:
    """Load the ONNX session (slow: callers keep it)."""
    try:
        import onnxruntime as rt
        from kokoro_onnx import Kokoro
        from kokoro_onnx.session import resolve_providers
    except ImportError as error:
        raise ModelMissingError("kokoro-onnx não está instalado. Rode: pip install 'vozbd[speech]'") from error
    started = time.perf_counter()
    session = rt.InferenceSession(str(model_path), sess_options=session_options(threads), providers=resolve_providers())
    instance = Kokoro.from_session(session, str(voices_path))
    log.info("Loaded Kokoro %s in %.2f s", model_path.name, time.perf_counter() - started)
    return instance


class KokoroSynthesizer(ClauseSynthesizer):
    name = "kokoro"

    def __init__(
        self,
        model_path: Path,
        voices_path: Path,
        *,
        default_voice: str = "pf_dora",
        default_speed: float = 1.0,
        cache: PhraseCache | None = None,
        threads: int = 0,
    ) -> None:
        super().__init__(default_voice=default_voice, default_speed=default_speed, cache=cache)
        self.threads = threads
        self.model_path = model_path
        self.voices_path = voices_path
        self._kokoro: Kokoro | None = None
        self._load_lock = threading.Lock()

    @property
    def kokoro(self) -> Kokoro:
        if self._kokoro is None:
            with self._load_lock:
                if self._kokoro is None:
                    self._kokoro = load_kokoro(self.model_path, self.voices_path, self.threads)
        return self._kokoro

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory (``warm_up`` or the first synthesis loads it)."""
        return self._kokoro is not None

    @classmethod
    def from_models_dir(cls, models_dir: Path, **kwargs: object) -> KokoroSynthesizer:
        files = models.kokoro_files(models_dir)
        if files is None:
            raise ModelMissingError(
                f"Modelo Kokoro ou vozes pt-BR ausentes em {models_dir}. Rode: vozbd models install"
            )
        return cls(*files, **kwargs)  # type: ignore[arg-type]  # model_files returns the paths kokoro-onnx's untyped constructor expects

    def voices(self) -> list[Voice]:
        return list(VOICES)

    def _render(self, text: str, voice: str, speed: float) -> tuple[np.ndarray, int]:
        kokoro = self.kokoro
        try:
            samples, rate = kokoro.create(text, voice=voice, speed=speed, lang="pt-br")
        except ValueError as error:  # nothing phonemizable, voice missing from the voices file
            log.warning("Kokoro could not speak %r: %s", text[:80], error)
            raise SpeechError("Não consegui gerar a fala deste trecho.", code="tts_failed") from error
        return np.asarray(samples, dtype=np.float32), int(rate)
