"""STT benchmark: RTF and WER of faster-whisper on a pt-BR set generated here with Kokoro (3 voices) and espeak-ng.

    .venv/bin/python -m bench.stt [--models-dir DIR] [--threads N] [--beam-size 5]

Prints model load time, per-voice WER, RTF on single sentences and on 10-20 s clips, and peak RSS.
Run `vozbd models install` first. Numbers depend on the machine's load: run it on idle cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    # Run as a script: import from the repo root, not bench/ (where bench/agent.py would shadow the agent package).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from agent.speech.audio import STT_RATE, resample
from agent.speech.base import NoSpeechError
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer
from agent.speech.registry import build_transcriber
from agent.speech.textprep import prepare_for_speech

SENTENCES = (
    "Encontrei 32 pedidos em São Paulo no mês passado.",
    "O faturamento de junho foi de R$ 1.234,56, um aumento de 12% em relação a maio.",
    "O produto mais vendido foi a cafeteira elétrica, com 87 unidades.",
    "A entrega para a Rua das Flores, número 250, em Belo Horizonte, atrasou três dias.",
    "O cliente João da Silva fez 5 pedidos desde 15/03/2026.",
    "A transportadora Rápido Sul entregou 98% dos pacotes no prazo.",
    "Quantos chamados foram abertos na semana passada?",
    "O ticket médio no Rio de Janeiro ficou em R$ 189,90.",
    "Mostre os dez clientes que mais compraram notebooks e fones de ouvido.",
    "A nota fiscal 4.512 foi emitida às 14:30 do dia 30/06/2026.",
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthesize(engine, text: str, voice: str | None) -> np.ndarray:
    chunks = list(engine.synthesize(prepare_for_speech(text), voice=voice))
    return resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, STT_RATE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--beam-size", type=int, default=5)
    args = parser.parse_args()
    config = SpeechConfig(models_dir=args.models_dir, stt_threads=args.threads, beam_size=args.beam_size)

    engines = SpeechEngines(config)
    transcriber = build_transcriber(config)  # always local here: the bench measures this machine
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    transcriber.warm_up()  # loads the model
    load_s = time.perf_counter() - started
    print(f"model: {transcriber.model_path} (int8, beam {args.beam_size}, threads {args.threads or 'all'})")
    print(f"load: {load_s:.2f} s, peak RSS after load: {peak_rss_mb():.0f} MB (before: {rss_before:.0f} MB)")

    kokoro, espeak = engines.synthesizer("kokoro"), engines.synthesizer("espeak")
    sets = {f"kokoro/{v}": (kokoro, v) for v in ("pf_dora", "pm_alex", "pm_santa")} | {"espeak/pt-br": (espeak, None)}
    transcriber.transcribe_samples(synthesize(espeak, "Aquecimento do modelo.", None))  # warm-up

    print(f"\n{'set':<16} {'clips':>5} {'audio s':>8} {'WER':>6} {'RTF med':>8} {'RTF max':>8} {'no speech':>9}")
    long_clips: list[np.ndarray] = []
    for label, (engine, voice) in sets.items():
        pairs, rtfs, audio_s, missed = [], [], 0.0, 0
        clips = []
        for sentence in SENTENCES:
            samples = synthesize(engine, sentence, voice)
            clips.append(samples)
            started = time.perf_counter()
            try:
                text = transcriber.transcribe_samples(samples).text
            except NoSpeechError:  # the VAD heard no speech: every word counts as an error
                text = ""
                missed += 1
            duration = samples.size / STT_RATE
            pairs.append((sentence, text))
            rtfs.append((time.perf_counter() - started) / duration)
            audio_s += duration
        if label.startswith("kokoro"):
            gap = np.zeros(int(0.4 * STT_RATE), dtype=np.float32)
            for i in range(0, len(clips), 3):  # 3 sentences ≈ 10-20 s
                group = clips[i : i + 3]
                long_clips.append(np.concatenate([x for c in group for x in (c, gap)]))
        wer = corpus_wer(pairs)
        rtf_med, rtf_max = statistics.median(rtfs), max(rtfs)
        print(f"{label:<16} {len(pairs):>5} {audio_s:>8.1f} {wer:>6.3f} {rtf_med:>8.3f} {rtf_max:>8.3f} {missed:>9}")

    long_rtfs = []
    for clip in long_clips:
        duration = clip.size / STT_RATE
        if not 10 <= duration <= 20:
            continue
        transcript = transcriber.transcribe_samples(clip)
        long_rtfs.append(transcript.processing_s / duration)
    if long_rtfs:
        print(
            f"\n10-20 s clips: {len(long_rtfs)}, RTF median {statistics.median(long_rtfs):.3f}, "
            f"max {max(long_rtfs):.3f} (target ≤ 0.35)"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MB; load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
