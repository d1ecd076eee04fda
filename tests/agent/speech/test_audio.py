from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from agent.speech import audio
from agent.speech.audio import AudioLimits, read_audio, read_pcm16, resample, to_wav_bytes, wav_to_samples
from agent.speech.base import AudioChunk, AudioInputError
from tests.conftest import unavailable


def tone(seconds: float, rate: int = 24_000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def ffmpeg_encode(wav: bytes, suffix: str, tmp_path: Path, *args: str) -> Path:
    if shutil.which("ffmpeg") is None:
        unavailable("ffmpeg not installed (apt-get install ffmpeg; .ci/run installs it)")  # fails under CI=true
    src, dst = tmp_path / "in.wav", tmp_path / f"out{suffix}"
    src.write_bytes(wav)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)], check=True)
    return dst


def test_wav_roundtrip_and_resample() -> None:
    samples = tone(1.0)
    wav = to_wav_bytes(samples, 24_000)
    with wave.open(io.BytesIO(wav)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (24_000, 1, 2)
    decoded, rate = read_audio(wav)
    assert rate == 16_000
    assert abs(decoded.size - 16_000) < 200
    back, back_rate = wav_to_samples(wav)
    assert back_rate == 24_000 and np.allclose(back, samples, atol=1e-3)


def test_to_wav_bytes_from_chunks() -> None:
    chunks = [AudioChunk(tone(0.5), 24_000, "a"), AudioChunk(tone(0.25), 24_000, "b")]
    samples, rate = wav_to_samples(to_wav_bytes(chunks))
    assert rate == 24_000 and samples.size == 18_000


def test_resample_keeps_duration_and_pitch() -> None:
    out = resample(tone(2.0, 24_000, 300.0), 24_000, 16_000)
    assert abs(out.size - 32_000) < 100
    spectrum = np.abs(np.fft.rfft(out))
    peak_hz = np.argmax(spectrum) * 16_000 / out.size
    assert abs(peak_hz - 300.0) < 5


@pytest.mark.parametrize(
    ("suffix", "args"),
    [
        (".mp3", ()),
        (".ogg", ("-c:a", "libopus")),
        (".webm", ("-c:a", "libopus")),
        (".m4a", ("-c:a", "aac")),
        (".flac", ()),
    ],
)
def test_common_formats_decode(tmp_path: Path, suffix: str, args: tuple[str, ...]) -> None:
    path = ffmpeg_encode(to_wav_bytes(tone(1.5), 24_000), suffix, tmp_path, *args)
    for source in (path, path.read_bytes()):
        samples, rate = read_audio(source)
        assert rate == 16_000
        assert abs(samples.size / 16_000 - 1.5) < 0.1
        assert np.max(np.abs(samples)) > 0.1


def test_pcm16_path() -> None:
    samples = tone(1.0, 24_000)
    pcm = audio.pcm16_bytes(samples)
    out = read_pcm16(pcm, 24_000)
    assert abs(out.size - 16_000) < 100
    with pytest.raises(AudioInputError):
        read_pcm16(pcm[:-1], 24_000)  # odd byte count
    with pytest.raises(AudioInputError):
        read_pcm16(pcm, 12)  # absurd rate


def test_too_big_is_refused_before_decoding(tmp_path: Path) -> None:
    wav = to_wav_bytes(tone(3.0), 24_000)
    limits = AudioLimits(max_bytes=len(wav) - 1, max_seconds=300)
    for source in (wav, _write(tmp_path / "a.wav", wav)):
        with pytest.raises(AudioInputError) as caught:
            read_audio(source, limits)
        assert caught.value.code == "audio_too_big"
        assert "limite" in caught.value.message
    with pytest.raises(AudioInputError):
        read_pcm16(audio.pcm16_bytes(tone(3.0)), 24_000, limits=AudioLimits(max_bytes=1000))


def test_too_long_is_refused_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    wav = to_wav_bytes(tone(12.0), 24_000)
    decoded: list[int] = []
    real_mono = audio._mono
    monkeypatch.setattr(audio, "_mono", lambda a: decoded.append(a.size) or real_mono(a))
    with pytest.raises(AudioInputError) as caught:
        read_audio(wav, AudioLimits(max_seconds=5))
    assert caught.value.code == "audio_too_long"
    assert "12 s" in caught.value.message
    assert decoded == []  # refused from the declared duration, nothing decoded


def test_too_long_without_header_stops_decoding_early(monkeypatch: pytest.MonkeyPatch) -> None:
    wav = to_wav_bytes(tone(12.0), 24_000)
    monkeypatch.setattr(audio, "_declared_seconds", lambda container, stream: None)
    with pytest.raises(AudioInputError) as caught:
        read_audio(wav, AudioLimits(max_seconds=5))
    assert caught.value.code == "audio_too_long"
    seconds = float(caught.value.message.split("(")[1].split(" s")[0])
    assert 5 <= seconds < 7  # stopped just past the limit, not after the whole 12 s


def test_too_long_pcm16() -> None:
    with pytest.raises(AudioInputError, match="longo demais"):
        read_pcm16(audio.pcm16_bytes(tone(6.0)), 24_000, limits=AudioLimits(max_seconds=5))


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00" * 10,
        b"isto nao e audio, e texto puro " * 50,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20,
    ],
)
def test_garbage_is_a_clear_error(payload: bytes) -> None:
    with pytest.raises(AudioInputError) as caught:
        read_audio(payload)
    assert caught.value.message


def test_truncated_mp3_is_a_clear_error_or_partial(tmp_path: Path) -> None:
    data = ffmpeg_encode(to_wav_bytes(tone(2.0), 24_000), ".mp3", tmp_path).read_bytes()
    corrupt = data[:200] + bytes(reversed(data[200:2000]))
    try:
        samples, _ = read_audio(corrupt)
    except AudioInputError as error:
        assert error.code == "audio_invalid"
    else:
        assert samples.size < 2.5 * 16_000  # whatever ffmpeg salvages, never more than the file holds


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="não encontrado"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioInputError, match="é uma pasta"):
        read_audio(tmp_path)


def test_a_pipe_is_read_like_a_file(tmp_path: Path) -> None:
    """`vozbd transcribe <(arecord ...)` or a FIFO: a path that is not a regular file (was 'não encontrado')."""
    import contextlib
    import os
    import threading

    fifo = tmp_path / "gravacao.wav"
    os.mkfifo(fifo)
    wav = to_wav_bytes(tone(1.0), 24_000)
    writer = threading.Thread(target=fifo.write_bytes, args=(wav,))
    writer.start()
    samples, rate = read_audio(fifo)
    writer.join()
    assert rate == 16_000 and abs(samples.size - 16_000) < 400

    def write_until_closed() -> None:
        with contextlib.suppress(BrokenPipeError):  # the reader stops at the limit and closes the pipe
            fifo.write_bytes(wav)

    writer = threading.Thread(target=write_until_closed)
    writer.start()
    with pytest.raises(AudioInputError) as refused:  # the size limit holds for a pipe, read no further
        read_audio(fifo, AudioLimits(max_bytes=1000))
    writer.join()
    assert refused.value.code == "audio_too_big"


def test_wav_to_samples_rejects_non_wav() -> None:
    with pytest.raises(AudioInputError):
        wav_to_samples(b"OggS" + b"\x00" * 100)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
