"""A "real microphone" for voice tests: clean synthesized speech made to sound like a recording (numpy only, seeded).

Synthesized test speech sits in digital silence (exact zeros); a real microphone never gives zeros: it adds a noise
floor (white or pink, at a signal-to-noise ratio), mains hum (50/60 Hz and harmonics), a DC offset, room reverb,
and levels from a whisper to a shout that clips. Every function here is deterministic for a given ``seed``.
"""

from __future__ import annotations

import io
import wave

import numpy as np


def db_to_amp(db: float) -> float:
    return float(10 ** (db / 20))


def active_rms(speech: np.ndarray, rate: int) -> float:
    """RMS of the voiced part of ``speech`` (10 ms frames within 30 dB of the loudest): the "S" of an SNR."""
    frame = rate // 100
    frames = speech[: speech.size // frame * frame].reshape(-1, frame).astype(np.float64)
    energy = np.mean(frames * frames, axis=1)
    if not energy.size or energy.max() <= 0:
        return 0.0
    voiced = energy[energy >= energy.max() * 1e-3]
    return float(np.sqrt(voiced.mean()))


def white(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Unit-RMS white noise."""
    return np.random.default_rng(seed).standard_normal(int(seconds * rate)).astype(np.float32)


def pink(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Unit-RMS pink (1/f power) noise, shaped in the frequency domain."""
    n = int(seconds * rate)
    if n == 0:
        return np.zeros(0, np.float32)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    out = np.fft.irfft(spectrum, n)
    return (out / (np.sqrt(np.mean(out * out)) + 1e-12)).astype(np.float32)


def hum(seconds: float, rate: int, *, hz: float = 60.0, amplitude: float = 0.01) -> np.ndarray:
    """Mains hum: the fundamental and its odd harmonics (what a ground loop or a cheap preamp adds)."""
    t = np.arange(int(seconds * rate)) / rate
    wave_ = np.sin(2 * np.pi * hz * t) + 0.5 * np.sin(2 * np.pi * 3 * hz * t) + 0.25 * np.sin(2 * np.pi * 5 * hz * t)
    return (amplitude * wave_ / 1.1).astype(np.float32)


def reverb(speech: np.ndarray, rate: int, *, rt60_s: float = 0.5, wet: float = 0.5, seed: int = 7) -> np.ndarray:
    """Convolve with a room-like impulse response: the direct sound, then exponentially decaying noise (-60 dB at
    ``rt60_s``) weighted ``wet`` against it; the peak level is kept."""
    n = int(rt60_s * rate)
    t = np.arange(n) / rate
    tail = np.random.default_rng(seed).standard_normal(n) * np.exp(-6.9 * t / rt60_s)
    tail[: int(0.005 * rate)] = 0  # the first reflection arrives a few ms after the direct sound
    ir = wet * tail / np.sqrt(np.sum(tail * tail))
    ir[0] = 1.0
    size = speech.size + n - 1
    fft = 1 << (size - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(speech, fft) * np.fft.rfft(ir, fft), fft)[:size]
    peak = float(np.max(np.abs(speech))) or 1.0
    return (out * peak / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def at_peak(speech: np.ndarray, peak_dbfs: float) -> np.ndarray:
    """``speech`` scaled so its peak is ``peak_dbfs`` (above 0 it is clipped at full scale, like a shout would be)."""
    scaled = speech * (db_to_amp(peak_dbfs) / (float(np.max(np.abs(speech))) + 1e-12))
    return np.clip(scaled, -1.0, 1.0).astype(np.float32)


def cough(rate: int, seed: int = 3, *, peak: float = 0.5) -> np.ndarray:
    """A cough-like burst: ~250 ms of band-limited noise with a sharp attack and a fast decay."""
    n = int(0.25 * rate)
    rng = np.random.default_rng(seed)
    burst = rng.standard_normal(n)
    burst = np.convolve(burst, np.ones(8) / 8, mode="same")  # takes the hiss off the top
    t = np.arange(n) / rate
    envelope = np.minimum(t / 0.01, 1.0) * np.exp(-t / 0.06)
    out = burst * envelope
    return (out * peak / np.max(np.abs(out))).astype(np.float32)


def breath(rate: int, seed: int = 5, *, peak: float = 0.03) -> np.ndarray:
    """An in-breath: ~400 ms of soft, slowly swelling noise."""
    n = int(0.4 * rate)
    out = np.random.default_rng(seed).standard_normal(n) * np.sin(np.pi * np.arange(n) / n) ** 2
    return (out * peak / np.max(np.abs(out))).astype(np.float32)


def room(
    clean: np.ndarray,
    rate: int,
    *,
    snr_db: float | None = None,
    noise: str = "pink",
    hum_db: float | None = None,
    hum_hz: float = 60.0,
    dc: float = 0.0,
    peak_dbfs: float | None = None,
    rt60_s: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """``clean`` (speech with exact-zero gaps, any length) as a microphone in a room would give it.

    ``peak_dbfs`` sets the voice's level first (> 0 clips it), then the room's reverb (``rt60_s``), then a noise
    floor ``snr_db`` below the voice's active RMS, hum ``hum_db`` below it, and a DC offset. The result is clipped
    to full scale, as an ADC would.
    """
    audio = clean.astype(np.float32)
    if peak_dbfs is not None:
        audio = at_peak(audio, peak_dbfs)
    if rt60_s > 0:
        audio = reverb(audio, rate, rt60_s=rt60_s, seed=seed + 1)[: audio.size]
    level = active_rms(audio, rate)
    seconds = (audio.size + 1) / rate  # never one sample short of the audio
    if snr_db is not None:
        floor = pink(seconds, rate, seed) if noise == "pink" else white(seconds, rate, seed)
        audio = (audio + floor[: audio.size] * level * db_to_amp(-snr_db)).astype(np.float32)
    if hum_db is not None:
        buzz = hum(seconds, rate, hz=hum_hz, amplitude=level * db_to_amp(-hum_db) * np.sqrt(2))
        audio = (audio + buzz[: audio.size]).astype(np.float32)
    return np.clip(audio + dc, -1.0, 1.0).astype(np.float32)


def stereo_wav(audio: np.ndarray, rate: int, *, seed: int = 11) -> bytes:
    """A 16-bit stereo WAV of ``audio`` (the right channel slightly delayed and with its own hiss, as two mics)."""
    right = np.concatenate([np.zeros(int(0.0005 * rate), np.float32), audio])[: audio.size]
    right = right + np.random.default_rng(seed).standard_normal(audio.size).astype(np.float32) * 1e-4
    frames = np.stack([audio, right], axis=1)
    pcm = (np.clip(frames, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def pcm16(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
