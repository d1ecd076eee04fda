"""Questions that say words twice, on the voice loop's Whisper path: the repetition penalty alone vs with the
re-decode of a transcript cut short (``agent.speech.stt_whisper._CUT_CHARS_PER_S``).

    .venv/bin/python bench/stt_repeats.py [--models-dir DIR]

Ten two-part questions whose second part repeats words of the first ("Quantos pedidos foram feitos em maio, e
quantos pedidos foram feitos em junho?"), spoken by Kokoro's three pt-BR voices (speeds 1.0, 1.1, 0.9), run
together and with a 0.4 s pause between the parts: 60 clips, VAD-trimmed like the loop's utterances, short encoder
window. Prints, for each way, the corpus WER, the clips whose transcript lost a quarter of the words or more (cut
short) and the STT time, with the ratio against the penalty alone (same clips, same run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import agent.speech.stt_whisper as stt_whisper
from agent.speech.audio import resample
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer
from agent.speech.speak import clauses_of

QUESTIONS = (
    ("Quantos pedidos foram feitos em maio", "e quantos pedidos foram feitos em junho?"),
    ("Qual o total de vendas em São Paulo", "e qual o total de vendas no Rio de Janeiro?"),
    ("Quantos clientes temos em Curitiba", "e quantos clientes temos em Recife?"),
    ("Liste os produtos mais vendidos", "e os produtos menos vendidos do mês."),
    ("Qual cliente comprou mais", "e qual cliente comprou menos no ano passado?"),
    ("Quantas entregas atrasaram ontem", "e quantas entregas atrasaram hoje?"),
    ("Me mostre os pedidos cancelados", "e os pedidos devolvidos de abril."),
    ("Qual a média de itens por pedido", "e a média de valor por pedido?"),
    ("Quantos chamados estão abertos", "quantos chamados estão fechados?"),
    ("Qual vendedor vendeu mais em março", "e qual vendedor vendeu mais em abril?"),
)
VOICES = (("pf_dora", 1.0), ("pm_alex", 1.1), ("pm_santa", 0.9))
RATE = 16_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    args = parser.parse_args()
    engines = SpeechEngines(SpeechConfig(models_dir=args.models_dir))
    kokoro, transcriber = engines.synthesizer("kokoro"), engines.transcriber()

    def say(text: str, voice: str, speed: float) -> np.ndarray:
        chunks = [kokoro.synthesize_clause(c, voice=voice, speed=speed) for c in clauses_of(text)]  # type: ignore[attr-defined]  # a KokoroSynthesizer
        samples = resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, RATE)
        loud = np.flatnonzero(np.abs(samples) > 0.003)
        return samples[max(0, loud[0] - 160) : loud[-1] + 160]

    print("synthesizing 60 clips…", file=sys.stderr)
    edge = np.zeros(RATE // 5, np.float32)  # the loop's 200 ms pre-roll and tail
    clips = []
    for first, second in QUESTIONS:
        for voice, speed in VOICES:
            for pause in (0.0, 0.4):
                joined = first + ("," if not pause else "")
                parts = [edge, say(joined, voice, speed), np.zeros(int(pause * RATE), np.float32)]
                clips.append((f"{first} {second}", np.concatenate([*parts, say(second, voice, speed), edge])))
    transcriber.transcribe_samples(clips[0][1], prefiltered=True)  # warm-up
    threshold = stt_whisper._CUT_CHARS_PER_S
    results = {}
    for name, cut_below in (("penalty alone", 0.0), ("with the re-decode", threshold)):
        stt_whisper._CUT_CHARS_PER_S = cut_below
        pairs, cut, started = [], 0, time.perf_counter()
        for reference, samples in clips:
            heard = transcriber.transcribe_samples(samples, prefiltered=True).text
            pairs.append((reference, heard))
            cut += len(heard.split()) < 0.75 * len(reference.split())
        results[name] = (corpus_wer(pairs), cut, time.perf_counter() - started)
    stt_whisper._CUT_CHARS_PER_S = threshold
    base_s = results["penalty alone"][2]
    print(f"{len(clips)} clips (two-part questions that repeat words; Kokoro, 3 voices; with and without a pause)")
    for name, (wer, cut, seconds) in results.items():
        ratio = seconds / base_s
        print(f"  {name:<20} WER {wer:.3f}  cut short {cut:>2}/{len(clips)}  STT {seconds:.1f} s ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
