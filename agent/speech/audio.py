"""Audio at the edges: decode any common file (PyAV) or raw PCM16 to mono float32, resample, encode WAV/PCM16.

Limits are enforced before the whole input is decoded: byte size first, then the container's declared
duration, then a decode loop that stops as soon as the decoded audio passes the limit.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.speech.base import AudioChunk, AudioInputError

STT_RATE = 16_000


@dataclass(frozen=True)
class AudioLimits:
    max_bytes: int = 25 * 1024 * 1024
    max_seconds: float = 300.0


def _too_long(seconds: float, limits: AudioLimits) -> AudioInputError:
    return AudioInputError(
        f"Áudio longo demais ({seconds:.0f} s); o limite é {limits.max_seconds:.0f} s. Envie um trecho menor.",
        code="audio_too_long",
    )


def check_size(size: int, limits: AudioLimits) -> None:
    if size > limits.max_bytes:
        raise AudioInputError(
            f"Arquivo de áudio grande demais ({size / 1048576:.1f} MB); o limite é "
            f"{limits.max_bytes / 1048576:.3g} MB.",
            code="audio_too_big",
        )
    if size == 0:
        raise AudioInputError("O áudio está vazio.", code="audio_empty")


def _mono(frame_array: np.ndarray) -> np.ndarray:
    return frame_array.reshape(-1).astype(np.float32, copy=False)


def resample(samples: np.ndarray, rate: int, target: int = STT_RATE) -> np.ndarray:
    """Mono float32 → mono float32 at ``target`` Hz (libswresample via PyAV)."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    import av

    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
    )
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    out = [_mono(f.to_ndarray()) for f in resampler.resample(frame)]
    out += [_mono(f.to_ndarray()) for f in resampler.resample(None)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def pcm16_to_float(data: bytes) -> np.ndarray:
    if len(data) % 2:
        raise AudioInputError("Áudio PCM16 inválido: número ímpar de bytes.", code="audio_invalid")
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def read_pcm16(data: bytes, rate: int, limits: AudioLimits = AudioLimits(), target: int = STT_RATE) -> np.ndarray:
    """Raw mono PCM16 little-endian bytes at ``rate`` → float32 at ``target`` Hz, within the limits."""
    check_size(len(data), limits)
    if not 8000 <= rate <= 192_000:
        raise AudioInputError(f"Taxa de amostragem inválida: {rate} Hz.", code="audio_invalid")
    seconds = len(data) / 2 / rate
    if seconds > limits.max_seconds:
        raise _too_long(seconds, limits)
    return resample(pcm16_to_float(data), rate, target)


def read_audio(
    source: bytes | Path | str, limits: AudioLimits = AudioLimits(), target: int = STT_RATE
) -> tuple[np.ndarray, int]:
    """Decode a file (path or encoded bytes: wav, mp3, ogg/opus, webm, m4a, flac...) to mono float32 at ``target``."""
    import av

    if isinstance(source, bytes | bytearray):
        check_size(len(source), limits)
        handle: io.BytesIO | str = io.BytesIO(source)
    else:
        path = Path(source)
        if path.is_dir():
            raise AudioInputError(f"{path} é uma pasta, não um arquivo de áudio.", code="audio_not_found")
        if not path.exists():
            raise AudioInputError(f"Arquivo de áudio não encontrado: {path}", code="audio_not_found")
        if path.is_file():
            check_size(path.stat().st_size, limits)
            handle = str(path)
        else:  # a pipe: /dev/stdin, <(arecord ...), a FIFO; read up to the size limit, then decode the bytes
            with path.open("rb") as pipe:
                data = pipe.read(limits.max_bytes + 1)
            check_size(len(data), limits)
            handle = io.BytesIO(data)
    try:
        container = av.open(handle, mode="r", metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise AudioInputError(
            "Não consegui ler o áudio: arquivo corrompido ou formato não suportado.", code="audio_invalid"
        ) from error
    with container:
        if not container.streams.audio:
            raise AudioInputError("O arquivo não contém áudio.", code="audio_invalid")
        stream = container.streams.audio[0]
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > limits.max_seconds:
            raise _too_long(declared, limits)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
        pieces: list[np.ndarray] = []
        total, cap = 0, int(limits.max_seconds * target)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pieces.append(_mono(out.to_ndarray()))
                    total += pieces[-1].size
                if total > cap:
                    raise _too_long(total / target, limits)
            pieces += [_mono(out.to_ndarray()) for out in resampler.resample(None)]
        except av.FFmpegError as error:
            raise AudioInputError(
                "Não consegui decodificar o áudio: arquivo corrompido ou incompleto.", code="audio_invalid"
            ) from error
    if not pieces or sum(p.size for p in pieces) == 0:
        raise AudioInputError("Não consegui decodificar nenhum som do arquivo.", code="audio_invalid")
    return np.concatenate(pieces), target


def _declared_seconds(container: object, stream: object) -> float | None:
    duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if duration and time_base:
        return float(duration * time_base)
    container_duration = getattr(container, "duration", None)  # microseconds
    return container_duration / 1_000_000 if container_duration else None


# --- encoding ------------------------------------------------------------------


def _as_samples(audio: np.ndarray | Iterable[AudioChunk]) -> tuple[np.ndarray, int | None]:
    if isinstance(audio, np.ndarray):
        return audio, None
    chunks = list(audio)
    if not chunks:
        return np.zeros(0, dtype=np.float32), None
    return np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate


def pcm16_bytes(audio: np.ndarray | Iterable[AudioChunk]) -> bytes:
    samples, _ = _as_samples(audio)
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def to_wav_bytes(audio: np.ndarray | Iterable[AudioChunk], rate: int | None = None) -> bytes:
    """Mono 16-bit WAV of float samples or of a chunk stream (rate taken from the chunks when not given)."""
    samples, chunk_rate = _as_samples(audio)
    rate = rate or chunk_rate
    if rate is None:
        raise ValueError("to_wav_bytes needs a sample rate for raw samples or an empty stream")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm16_bytes(samples))
    return buffer.getvalue()


def wav_to_samples(data: bytes) -> tuple[np.ndarray, int]:
    """Decode a 16-bit PCM WAV, tolerating the bogus sizes of streamed headers (espeak-ng --stdout)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioInputError("WAV inválido.", code="audio_invalid")
    pos, rate, channels = 12, 0, 1
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk_id == b"fmt ":
            channels = int.from_bytes(data[body + 2 : body + 4], "little")
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
        elif chunk_id == b"data":
            end = min(len(data), body + size)
            end -= (end - body) % (2 * channels)
            samples = pcm16_to_float(data[body:end])
            return samples.reshape(-1, channels).mean(axis=1).astype(np.float32), rate
        pos = body + size + (size % 2)
    raise AudioInputError("WAV sem dados de áudio.", code="audio_invalid")


class StreamResampler:
    """Resample a live mono float32 stream piece by piece without clicks at the piece boundaries."""

    def __init__(self, rate: int, target: int = STT_RATE) -> None:
        import av

        self.rate, self.target = rate, target
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=target) if rate != target else None
        self._pts = 0

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        if self._resampler is None or samples.size == 0:
            return samples.astype(np.float32, copy=False)
        from fractions import Fraction

        import av

        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = self.rate
        frame.time_base = Fraction(1, self.rate)
        frame.pts = self._pts
        self._pts += samples.size
        out = [_mono(f.to_ndarray()) for f in self._resampler.resample(frame)]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
