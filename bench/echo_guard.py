"""Calibration of the acoustic echo check (``agent.voice.echo_acoustic``): similarity of what the microphone heard to
the answer we played, for our own echo through a simulated room vs speech that is not our echo.

    .venv/bin/python -m bench.echo_guard [--models-dir DIR] [--no-kokoro]

Echo: each answer (espeak-ng as the loop speaks it, and Kokoro) played from mic-stream time 1.0 s, heard back
after a delay of 0-800 ms, 20 dB quieter, with reverb (RT60 0.3-0.6 s) and pink noise 20 dB below the echo
(``tests.agent.voice.mic``); checked as the whole utterance and as the barge-in windows (the first 0.3 / 0.6 s of it).
Not echo: the same words in another voice (the other espeak voice, espeak at another speed, Kokoro against an espeak
answer and the reverse), and a user's question spoken over the playing answer's echo (6, 10 and 20 dB louder).
Prints each case's similarity, the distributions, the margin between the lowest echo and the highest non-echo, and
the cost of a check (ms per utterance).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from agent.speech.audio import pcm16_bytes, resample, wav_to_samples
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.voice.echo_acoustic import RATE, EchoReference
from tests.agent.voice import mic

ANSWERS = (
    "Temos muitos clientes.",
    "Encontrei 32 pedidos em São Paulo no mês passado.",
    "O produto mais vendido foi a cafeteira elétrica, com 87 unidades.",
)
QUESTIONS = ("Espera, quantos pedidos foram feitos em maio?", "E em Campinas?")
OUT_RATE = 24_000  # AnswerAudio's rate in the loop
PLAY_AT_S = 1.0


def speaker(engines: SpeechEngines, engine: str) -> object:
    return engines.synthesizer(engine)


def say(synth: object, text: str, voice: str | None = None, speed: float | None = None) -> np.ndarray:
    chunks = list(synth.synthesize(text, voice=voice, speed=speed))  # type: ignore[attr-defined]  # a Synthesizer
    return resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, OUT_RATE)


def espeak_ng(text: str, voice: str, wpm: int) -> np.ndarray:
    """espeak-ng run directly (a voice or speed other than the loop's)."""
    run = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", "--stdin"],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    samples, rate = wav_to_samples(run.stdout)
    return resample(samples, rate, OUT_RATE)


def through_room(played: np.ndarray, delay_s: float, rt60_s: float, seed: int) -> np.ndarray:
    """``played`` (24 kHz) as the microphone hears it: delayed, -20 dB, reverberated, pink noise 20 dB below."""
    audio = resample(played, OUT_RATE, RATE) * mic.db_to_amp(-20)
    lead = np.zeros(int((PLAY_AT_S + delay_s) * RATE), np.float32)  # the stream starts at 0
    padded = np.concatenate([lead, audio, np.zeros(RATE // 2, np.float32)])
    return mic.room(padded, RATE, rt60_s=rt60_s, snr_db=20, seed=seed)


def heard_from(audio: np.ndarray, start_s: float, seconds: float | None) -> tuple[np.ndarray, float]:
    """The utterance the VAD would cut: ``audio`` (the mic stream from time 0) from ``start_s``."""
    lo = int(start_s * RATE)
    hi = audio.size if seconds is None else lo + int(seconds * RATE)
    return audio[lo:hi], start_s


def check(reference: object, heard: np.ndarray, start_s: float, costs: list[float]) -> float:
    began = time.perf_counter()
    score = reference.similarity(heard, start_s)  # type: ignore[attr-defined]  # an EchoReference
    costs.append((time.perf_counter() - began) * 1000)
    return score


def reference_of(played: np.ndarray) -> EchoReference:
    reference = EchoReference()
    reference.add(pcm16_bytes(played), OUT_RATE, PLAY_AT_S)
    return reference


def speech_bounds(audio: np.ndarray, floor: float) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(audio) > floor)
    return loud[0] / RATE, loud[-1] / RATE


def _window(name: str) -> bool:
    return "first" in name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    parser.add_argument("--no-kokoro", action="store_true")
    args = parser.parse_args()
    config = SpeechConfig(models_dir=args.models_dir)
    engines = SpeechEngines(config)
    espeak = speaker(engines, "espeak")
    kokoro = None if args.no_kokoro else speaker(engines, "kokoro")

    echo: dict[str, float] = {}
    other: dict[str, float] = {}
    costs: list[float] = []
    for n, text in enumerate(ANSWERS):
        ours = {"espeak": say(espeak, text)}
        if kokoro is not None:
            ours["kokoro"] = say(kokoro, text)
        for engine, played in ours.items():
            reference = reference_of(played)
            for delay_s in (0.0, 0.2, 0.5, 0.8):
                for rt60_s in (0.3, 0.6):
                    heard = through_room(played, delay_s, rt60_s, seed=n * 10 + int(delay_s * 10))
                    start, end = speech_bounds(resample(played, OUT_RATE, RATE), 0.003)
                    onset = PLAY_AT_S + delay_s + start
                    name = f"{engine} {n} delay={delay_s:.1f} rt60={rt60_s}"
                    whole, at = heard_from(heard, onset - 0.2, end - start + 0.4)
                    echo[f"{name} utterance"] = check(reference, whole, at, costs)
                    for window in (0.3, 0.6):
                        part, at = heard_from(heard, onset - 0.1, window + 0.1)
                        echo[f"{name} first {window}s"] = check(reference, part, at, [])
                    mid, at = heard_from(heard, onset + (end - start) / 2, (end - start) / 2 + 0.2)
                    echo[f"{name} second half"] = check(reference, mid, at, [])
        # The same words, not our audio.
        espeak_ref = reference_of(ours["espeak"])
        impostors = {
            "espeak male voice": espeak_ng(text, "pt-br", 165),
            "espeak m3 voice": espeak_ng(text, "pt-br+m3", 165),
            "espeak at 150 wpm": espeak_ng(text, "pt-br+f3", 150),  # the loop's espeak voice is pt-br+f3 (pf_dora)
            "espeak at 180 wpm": espeak_ng(text, "pt-br+f3", 180),
        }
        if kokoro is not None:
            impostors["kokoro pf_dora vs espeak answer"] = ours["kokoro"]
            impostors["kokoro pm_alex vs espeak answer"] = say(kokoro, text, voice="pm_alex")
        for label, voice in impostors.items():
            for delay_s in (0.0, 0.5):
                heard = through_room(voice, delay_s, 0.3, seed=n)
                start, end = speech_bounds(resample(voice, OUT_RATE, RATE), 0.003)
                whole, at = heard_from(heard, PLAY_AT_S + delay_s + start - 0.2, end - start + 0.4)
                other[f"{label} {n} delay={delay_s}"] = check(espeak_ref, whole, at, [])
                part, at = heard_from(heard, PLAY_AT_S + delay_s + start - 0.1, 0.7)
                other[f"{label} {n} delay={delay_s} first 0.6s"] = check(espeak_ref, part, at, [])
        if kokoro is not None:
            heard = through_room(ours["espeak"], 0.3, 0.3, seed=n)
            kokoro_ref = reference_of(ours["kokoro"])
            start, end = speech_bounds(resample(ours["espeak"], OUT_RATE, RATE), 0.003)
            whole, at = heard_from(heard, PLAY_AT_S + 0.3 + start - 0.2, end - start + 0.4)
            other[f"espeak vs kokoro answer {n}"] = check(kokoro_ref, whole, at, [])
        # A user's question over the playing answer's echo.
        asker = kokoro if kokoro is not None else espeak
        for q, question in enumerate(QUESTIONS):
            voice = (
                say(asker, question, voice="pm_alex") if kokoro is not None else espeak_ng(question, "pt-br+f3", 165)
            )
            for louder_db in (6, 10, 20):
                for delay_s in (0.2, 0.6):
                    played = ours["espeak"]
                    heard = through_room(played, delay_s, 0.3, seed=n + q)
                    user = resample(voice, OUT_RATE, RATE)
                    user = user / (mic.active_rms(user, RATE) + 1e-12)
                    user = user * mic.active_rms(heard, RATE) * mic.db_to_amp(louder_db)
                    at_s = 0.5  # the user starts half a second into the echo
                    lo = int((PLAY_AT_S + delay_s + at_s) * RATE)
                    total = max(heard.size, lo + user.size)
                    mixed = np.zeros(total, np.float32)
                    mixed[: heard.size] += heard
                    mixed[lo : lo + user.size] += user
                    reference = reference_of(played)
                    name = f"question {q} +{louder_db} dB over answer {n} delay={delay_s}"
                    whole, at = heard_from(mixed, PLAY_AT_S + delay_s, None)
                    other[f"{name} utterance"] = check(reference, whole, at, [])
                    part, at = heard_from(mixed, PLAY_AT_S + delay_s + at_s - 0.1, 0.7)
                    other[f"{name} its first 0.6s"] = check(reference, part, at, [])

    width = max(map(len, echo | other))
    for title, scores in (("echo (must be high)", echo), ("not echo (must be low)", other)):
        print(f"\n{title}:")
        for name, score in sorted(scores.items(), key=lambda kv: kv[1]):
            print(f"  {name:<{width}}  {score:.3f}")
    for kind, is_kind in (("utterances", lambda name: "first" not in name), ("barge-in windows", _window)):
        print(f"\n{kind}:")
        high = {name: score for name, score in echo.items() if is_kind(name)}
        low = {name: score for name, score in other.items() if is_kind(name)}
        for title, scores in (("echo", high), ("not echo", low)):
            values = list(scores.values())
            quartiles = statistics.quantiles(values, n=4)
            print(
                f"{title:>9}: n={len(values)} min={min(values):.3f} q1={quartiles[0]:.3f} "
                f"median={quartiles[1]:.3f} q3={quartiles[2]:.3f} max={max(values):.3f}"
            )
        lowest, highest = min(high.values()), max(low.values())
        print(f"   margin: lowest echo {lowest:.3f} - highest non-echo {highest:.3f} = {lowest - highest:+.3f}")
        human = max(score for name, score in low.items() if not name.startswith("espeak at"))
        print(
            f"   without espeak's own voice at another speed (its first syllables are the same waveform): "
            f"highest non-echo {human:.3f}, margin {lowest - human:+.3f}"
        )
    print(f"cost per utterance check: median {statistics.median(costs):.1f} ms, max {max(costs):.1f} ms")


if __name__ == "__main__":
    main()
