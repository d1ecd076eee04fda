"""TTS benchmark: load time, time to first audio and RTF per engine, for short and long pt-BR answers.

    .venv/bin/python -m bench.tts [--models-dir DIR] [--repeat 3]

First audio = from calling synthesize() to the first chunk (warm engine, cache off). Target: Kokoro ≤ 1.0 s
for a typical one-sentence answer on 2 idle cores. Numbers depend on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import from the repo root, not bench/ (where bench/agent.py would shadow the agent package).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from agent.speech.config import SpeechConfig
from agent.speech.registry import available_engines, build_synthesizer
from agent.speech.textprep import prepare_for_speech

ANSWERS = {
    "short": "Encontrei 32 pedidos em São Paulo no mês passado.",
    "medium": "O faturamento de junho foi de R$ 1.234,56, um aumento de 12% em relação a maio.",
    "long": (
        "Em junho foram 1.482 pedidos, 8% a mais que em maio. São Paulo lidera com 32% das vendas, seguido por "
        "Minas Gerais e Rio de Janeiro. O produto mais vendido foi a cafeteira elétrica, com 87 unidades, e o "
        "ticket médio ficou em R$ 189,90. A transportadora Rápido Sul entregou 98% dos pacotes no prazo. "
        "Quer que eu detalhe por categoria?"
    ),
}


def run_once(engine, text: str) -> tuple[float, float, float, float]:
    """(first audio s, total s, audio s, CPU s of the first chunk: a load-independent reference)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    first, first_cpu, samples, rate = None, 0.0, 0, 1
    for chunk in engine.synthesize(text):
        if first is None:
            first, first_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        samples += chunk.samples.size
        rate = chunk.sample_rate
    return first or 0.0, time.perf_counter() - started, samples / rate, first_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = SpeechConfig(models_dir=args.models_dir)  # cache off
    engines = [name for name, reason in available_engines(config).items() if reason is None]
    header = ("engine", "answer", "chars", "audio s", "first s", "1st cpu", "total s", "RTF")
    print("{:<8} {:<7} {:>5} {:>8} {:>8} {:>8} {:>8} {:>6}".format(*header))
    for name in engines:
        started = time.perf_counter()
        engine = build_synthesizer(config, name)
        list(engine.synthesize("Aquecimento."))  # loads the model
        load_s = time.perf_counter() - started
        for label, answer in ANSWERS.items():
            text = prepare_for_speech(answer)
            runs = [run_once(engine, text) for _ in range(args.repeat)]
            first = statistics.median(r[0] for r in runs)
            total = statistics.median(r[1] for r in runs)
            audio = runs[0][2]
            first_cpu = statistics.median(r[3] for r in runs)
            row = (name, label, len(text), audio, first, first_cpu, total, total / audio)
            print("{:<8} {:<7} {:>5} {:>8.2f} {:>8.3f} {:>8.3f} {:>8.3f} {:>6.3f}".format(*row))
        print(f"{name:<8} load + first call: {load_s:.2f} s")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
