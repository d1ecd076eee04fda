"""Streaming voice activity detection with the Silero VAD ONNX model that ships inside faster-whisper.

faster-whisper's ``SileroVADModel.__call__`` resets the recurrent state on every call (it is made for whole
files); here the same ONNX session is run one 32 ms window at a time with the state (h, c and the 64-sample
context) carried across calls, so a live stream gets exactly the probabilities the whole file would.
"""

from __future__ import annotations

import numpy as np

from agent.speech.base import ModelMissingError

VAD_RATE = 16_000
WINDOW = 512  # samples per probability at 16 kHz (32 ms)
_CONTEXT = 64


def _session() -> object:
    try:
        from faster_whisper.vad import get_vad_model
    except ImportError as error:  # pragma: no cover - the speech extra is missing
        raise ModelMissingError("faster-whisper não está instalado. Rode: pip install 'vozbd[speech]'") from error
    return get_vad_model().session  # one shared ONNX session (thread-safe), loaded once per process


class StreamingVad:
    """Feed mono float32 at 16 kHz in pieces of any size; get one speech probability per complete 32 ms window."""

    def __init__(self) -> None:
        self._session = _session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    @property
    def pending(self) -> np.ndarray:
        """The samples after the last complete window (not scored yet)."""
        return self._pending

    def feed(self, samples: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """(window, probability) for every window completed by ``samples`` (leftovers wait for the next call)."""
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        count = self._pending.size // WINDOW
        if not count:
            return []
        windows = self._pending[: count * WINDOW].reshape(count, WINDOW)
        self._pending = self._pending[count * WINDOW :]
        contexts = np.vstack([self._context[None, :], windows[:-1, -_CONTEXT:]])
        batch = np.concatenate([contexts, windows], axis=1)
        # The model treats the batch axis as time and carries h/c across it (the same call faster-whisper makes).
        probs, self._h, self._c = self._session.run(  # type: ignore[attr-defined]  # an onnxruntime session, typed as object (the package ships no hints)
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = windows[-1, -_CONTEXT:].copy()
        return list(zip(windows, (float(p) for p in np.asarray(probs).reshape(-1)), strict=True))
