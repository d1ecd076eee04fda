"""Acoustic echo check: does what the microphone heard sound like the audio we were playing at that time?

The loop records every chunk of answer audio it sends (``EchoReference.add``), placed on the microphone stream's
clock where the client can be playing it (chunks play back to back from when they are sent). The echo reaches the
microphone later by an unknown delay (buffering, 0 to ``max_delay_s``), quieter, filtered, reverberated and with the
room's noise. ``EchoReference.similarity`` compares the microphone's audio with that reference: per 10 ms frame the
log energies of mel bands, each band's mean removed over the compared stretch (so gain and steady filtering cancel
out), then the normalized cross-correlation of the two stretches, the best over the delays searched. Our own echo
scores high: it follows the reference's loud/quiet pattern band by band and frame by frame. A different voice saying
the same words does not: its syllables fall at other times and its spectrum differs. Pure numpy; the reference
audio is resampled and analysed only when a check needs it, never while the answer is being sent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from agent.speech.audio import pcm16_to_float, resample

RATE = 16_000
HOP = 160  # 10 ms frames
N_FFT = 512  # 32 ms analysis window
F_LO, F_HI = 100.0, 4_000.0  # the band compared: speech, above hum, below what small speakers and codecs cut
BANDS = 32  # mel bands for the delay search
FLOOR_DB = 50.0  # band energies more than this below the segment's loudest band-frame count as that floor
MAX_SHIFT = 2  # frames either side of the delay search's best offset where the coherence is measured
WINDOW_FRAMES = 50  # the stretches an utterance is judged by (0.5 s): each must be echo
ACTIVE_DB = 25.0  # a frame holds sound when its energy is within this of the loudest frame's
MIN_ACTIVE = 0.3  # a stretch is judged when at least this share of its frames holds sound

_FREQS = np.fft.rfftfreq(N_FFT, 1 / RATE)
_BINS = slice(int(np.searchsorted(_FREQS, F_LO)), int(np.searchsorted(_FREQS, F_HI)))
_WINDOW = np.hanning(N_FFT).astype(np.float32)


def _mel_matrix() -> np.ndarray:
    def mel(f: np.ndarray | float) -> np.ndarray:
        return 2595 * np.log10(1 + np.asarray(f) / 700)

    edges = 700 * (10 ** (np.linspace(mel(F_LO), mel(F_HI), BANDS + 2) / 2595) - 1)
    freqs = _FREQS[_BINS]
    bank = np.zeros((freqs.size, BANDS), np.float32)
    for b in range(BANDS):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        bank[:, b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return bank


_MEL = _mel_matrix()


def spectra(samples: np.ndarray) -> np.ndarray:
    """(frames, bins) complex short-time spectrum of 16 kHz mono ``samples`` between F_LO and F_HI, a frame per
    10 ms."""
    n = max(0, (samples.size - N_FFT) // HOP + 1)
    if n == 0:
        return np.zeros((0, _BINS.stop - _BINS.start), np.complex64)
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float32, copy=False), N_FFT)[::HOP][:n]
    return np.fft.rfft(frames * _WINDOW, N_FFT)[:, _BINS].astype(np.complex64)


def log_mel(spectrum: np.ndarray) -> np.ndarray:
    """(frames, BANDS) log10 mel band energies of a ``spectra`` result."""
    energy = np.einsum("tf,fb->tb", np.abs(spectrum) ** 2, _MEL)  # not BLAS: its threads stall on a busy machine
    floor = float(energy.max(initial=0.0)) * 10 ** (-FLOOR_DB / 10) + 1e-12
    return np.log10(energy + floor)


def best_offset(heard: np.ndarray, reference: np.ndarray) -> int:
    """The offset into ``reference`` (T + L, B log mel) where a T-frame stretch best matches ``heard`` (T, B): the
    highest normalized cross-correlation with each band's mean removed (so gain and steady filtering cancel)."""
    t = heard.shape[0]
    lags = reference.shape[0] - t + 1
    h = heard - heard.mean(axis=0)  # centred: a stretch's own band means drop out of the dot products
    size = 1 << (reference.shape[0] + t).bit_length()
    spectrum = np.fft.rfft(reference, size, axis=0) * np.conj(np.fft.rfft(h, size, axis=0))
    dots = np.fft.irfft(spectrum.sum(axis=1), size)[:lags]  # dots[l] = sum over t, b of reference[l + t] * h[t]
    sums, squares = _sums(reference, t), _sums(reference * reference, t)  # (lags, B) over each stretch
    spread = np.sum(squares - sums * sums / t, axis=1)  # each stretch's squared deviation from its band means
    spread = np.maximum(spread, 1e-3 * float(spread.max()) + 1e-12)  # a silent stretch (FFT round-off in dots)
    return int(np.argmax(dots / np.sqrt(spread * float(np.sum(h * h)))))


def _sums(x: np.ndarray, window: int) -> np.ndarray:
    """Sums of ``window`` consecutive rows of ``x`` (along axis 0)."""
    c = np.concatenate([np.zeros((1, *x.shape[1:]), x.dtype), np.cumsum(x, axis=0)])
    return c[window:] - c[:-window]


def coherence(heard: np.ndarray, reference: np.ndarray, *, window: int = WINDOW_FRAMES) -> float:
    """How much ``heard`` (T, F complex spectra) is ``reference`` (T + L, F) passed through a linear filter (a room,
    a speaker, a gain) at the best offset, from 0 (unrelated) to 1: per frequency the magnitude of the summed
    cross-spectrum over the product of the energies' roots (Cauchy-Schwarz bounds it by 1), summed over frequencies.
    Phases agree frame after frame only for the very same waveform: another voice, even one saying the same words
    in step, does not cohere. Judged over every ``window`` frames that hold sound in ``heard``; the lowest counts
    (an utterance is echo only if all of it is: a user speaking over our answer for half a second scores low)."""
    t = heard.shape[0]
    lags = reference.shape[0] - t + 1
    if t < 2 or lags < 1:
        return 0.0
    centre = best_offset(log_mel(heard), log_mel(reference))
    h2 = np.abs(heard) ** 2
    best: tuple[float, int] = (-1.0, centre)
    for lag in range(max(0, centre - MAX_SHIFT), min(lags, centre + MAX_SHIFT + 1)):
        r = reference[lag : lag + t]
        cross = np.abs(np.sum(heard * np.conj(r), axis=0))
        energy = np.sqrt(h2.sum(axis=0) * np.sum(np.abs(r) ** 2, axis=0))
        best = max(best, (float(cross.sum() / (energy.sum() + 1e-12)), lag))
    if t <= window:
        return best[0]
    r = reference[best[1] : best[1] + t]
    cross = np.abs(_sums(heard * np.conj(r), window)).sum(axis=1)
    energy = np.sqrt(_sums(h2, window) * _sums(np.abs(r) ** 2, window)).sum(axis=1)
    loud = 10 * np.log10(h2.sum(axis=1) + 1e-12)
    active = (loud >= loud.max() - ACTIVE_DB).astype(np.float64)
    sounding = _sums(active, window) >= MIN_ACTIVE * window
    scores = cross / (energy + 1e-12)
    return float(scores[sounding].min()) if sounding.any() else best[0]


@dataclass
class _Played:
    start_s: float  # mic-stream time the client starts playing it (before the room's delay)
    samples: np.ndarray  # float32 at ``rate``
    rate: int
    at_rate: np.ndarray | None = None  # resampled to RATE, once a check needed it

    @property
    def end_s(self) -> float:
        return self.start_s + self.samples.size / self.rate

    def resampled(self) -> np.ndarray:
        if self.at_rate is None:
            self.at_rate = resample(self.samples, self.rate, RATE)
        return self.at_rate


class EchoReference:
    """The audio we sent to the player, on the microphone stream's clock, and the similarity of what the
    microphone heard to it. One per conversation; ``add`` and ``similarity`` from the same thread."""

    def __init__(self, *, max_delay_s: float = 1.0, lead_s: float = 0.1, keep_s: float = 30.0) -> None:
        self.max_delay_s, self.lead_s, self.keep_s = max_delay_s, lead_s, keep_s
        self._played: deque[_Played] = deque()
        self._end_s = 0.0  # when what was sent so far has played

    def add(self, pcm16: bytes, sample_rate: int, sent_s: float) -> None:
        """A chunk sent to the player at mic-stream time ``sent_s``: it plays when the previous one ends, or now."""
        chunk = _Played(max(self._end_s, sent_s), pcm16_to_float(pcm16), sample_rate)
        self._played.append(chunk)
        self._end_s = chunk.end_s
        while self._played and self._played[0].end_s < self._end_s - self.keep_s:
            self._played.popleft()

    def clear_after(self, stop_s: float) -> None:
        """Playback stopped at ``stop_s`` (an interrupt): nothing sent is played after it."""
        kept = [p for p in self._played if p.start_s < stop_s]
        self._played = deque(
            _Played(p.start_s, p.samples[: int((stop_s - p.start_s) * p.rate)], p.rate) if p.end_s > stop_s else p
            for p in kept
        )
        self._end_s = min(self._end_s, stop_s)

    def overlaps(self, start_s: float, end_s: float) -> bool:
        """Some of our audio can be heard in the mic between ``start_s`` and ``end_s``."""
        return any(p.start_s < end_s and p.end_s + self.max_delay_s > start_s for p in self._played)

    def _reference(self, start_s: float, end_s: float) -> np.ndarray:
        """16 kHz audio the player gave out from ``start_s`` to ``end_s`` (zeros where nothing played)."""
        out = np.zeros(max(0, round((end_s - start_s) * RATE)), np.float32)
        for p in self._played:
            if p.end_s <= start_s or p.start_s >= end_s:
                continue
            audio = p.resampled()
            at = round((p.start_s - start_s) * RATE)
            lo, hi = max(0, at), min(out.size, at + audio.size)
            if hi > lo:
                out[lo:hi] = audio[lo - at : hi - at]
        return out

    def similarity(self, heard: np.ndarray, heard_start_s: float) -> float:
        """How much ``heard`` (16 kHz mic audio from mic-stream time ``heard_start_s``) sounds like our own audio
        arriving 0 to ``max_delay_s`` late (or ``lead_s`` early: the mic-stream positions are known to a few
        windows): the spectral coherence at the delay that fits best (``coherence``), 0 with no overlap."""
        end_s = heard_start_s + heard.size / RATE
        if heard.size < N_FFT or not self.overlaps(heard_start_s, end_s):
            return 0.0
        reference = self._reference(heard_start_s - self.max_delay_s, end_s + self.lead_s)
        return coherence(spectra(heard), spectra(reference))
