"""Schema-aware STT benchmark: WER and entity accuracy with and without a database's vocabulary, and the time ratio.

    .venv/bin/python bench/stt_bias.py [--db demo,foreign] [--voices all|kokoro|espeak] [--limit N]
                                       [--full] [--prompt] [--json] [--models-dir DIR]

The voice eval set (``bench/data/voice_eval.yaml``) holds spoken questions about the demo database and about a
foreign, entity-rich one (``bench/data/voice_eval_foreign.sql``: a farmers' cooperative); every question names
values stored in its database. Audio is synthesized here with each voice of the set (Kokoro's three pt-BR voices
at three speeds, espeak-ng male/female at two speeds) and transcribed:

- ``base``: Whisper alone;
- ``bias``: the same recognition corrected towards the connection's vocabulary (``connection_vocabulary``: the
  schema cache's tables and the value index's values, as ``vozbd transcribe --db`` does);
- ``prompt`` (with ``--prompt``): Whisper prompted with the vocabulary (hotwords, bounded) — the costly way.

Entity accuracy: share of the questions' values recognised exactly as stored (case and punctuation aside).
STT time ratio: total STT time of a mode over ``base``'s, same clips, same run. By default recognition runs as in
the voice loop (VAD-trimmed utterance, short encoder window); ``--full`` uses the CLI/API path (VAD, 30 s window).
With ``--json`` the last line is ``{"<db>": {"base": {...}, "bias": {...}}, ..., "time_ratio": ...}``.
Numbers depend on the machine's load: the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from cryptography.fernet import Fernet

if __package__ in (None, ""):
    # Run as a script: import from the repo root, not bench/ (where bench/agent.py would shadow the agent package).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from agent.speech.audio import STT_RATE, resample
from agent.speech.base import NoSpeechError
from agent.speech.config import SpeechConfig
from agent.speech.db_vocabulary import connection_vocabulary
from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer, entity_accuracy
from agent.speech.registry import build_transcriber
from agent.speech.textprep import prepare_for_speech
from agent.speech.vocabulary import SpeechVocabulary
from tools.context import ToolContext
from tools.db.registry import ConnectionRegistry

DATA = Path(__file__).resolve().parent / "data"
EVAL_SET = DATA / "voice_eval.yaml"


@dataclass(frozen=True)
class VoiceSpec:
    engine: str
    voice: str
    speed: float

    @property
    def label(self) -> str:
        return f"{self.engine}/{self.voice}@{self.speed:g}"


@dataclass(frozen=True)
class Question:
    text: str
    entities: list[str]


@dataclass(frozen=True)
class EvalSet:
    voices: list[VoiceSpec]
    questions: dict[str, list[Question]]  # database name → questions
    sources: dict[str, str]  # database name → "demo" or a SQL file under bench/data


def load_eval_set(path: Path = EVAL_SET) -> EvalSet:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    voices = [VoiceSpec(v["engine"], v["voice"], float(v["speed"])) for v in raw["voices"]]
    questions = {
        name: [Question(q["text"], list(q["entities"])) for q in db["questions"]]
        for name, db in raw["databases"].items()
    }
    return EvalSet(voices, questions, {name: db["source"] for name, db in raw["databases"].items()})


def database_url(source: str, folder: Path) -> str:
    """The connection to ask for: ``demo``, or a SQLite file built in ``folder`` from a SQL file of bench/data."""
    if source == "demo":
        return "demo"
    target = folder / f"{Path(source).stem}.sqlite"
    if not target.exists():
        with sqlite3.connect(target) as db:
            db.executescript((DATA / source).read_text(encoding="utf-8"))
        db.close()
    return f"sqlite:///{target}"


def eval_vocabulary(ctx: ToolContext, source: str, folder: Path) -> SpeechVocabulary:
    """The vocabulary of an eval database, through the product's path (schema cache + value index)."""
    return connection_vocabulary(ctx, database_url(source, folder), wait_s=60.0)


def synthesize(engines: SpeechEngines, voice: VoiceSpec, text: str) -> np.ndarray:
    synthesizer = engines.synthesizer(voice.engine)
    chunks = list(synthesizer.synthesize(prepare_for_speech(text), voice=voice.voice, speed=voice.speed))
    return resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, STT_RATE)


@dataclass
class Scores:
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (reference, transcript)
    cases: list[tuple[list[str], str]] = field(default_factory=list)  # (entities, transcript)
    seconds: float = 0.0

    def add(self, question: Question, text: str, seconds: float) -> None:
        self.pairs.append((question.text, text))
        self.cases.append((question.entities, text))
        self.seconds += seconds

    def summary(self) -> dict[str, float]:
        return {
            "wer": round(corpus_wer(self.pairs), 3),
            "entity_accuracy": round(entity_accuracy(self.cases), 3),
            "stt_s": round(self.seconds, 2),
            "clips": len(self.pairs),
        }


Recognize = Callable[[np.ndarray], str]


def timed(recognize: Recognize, samples: np.ndarray) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        text = recognize(samples)
    except NoSpeechError:
        text = ""
    return text, time.perf_counter() - started


def run(
    engines: SpeechEngines,
    transcriber: Any,
    vocabulary: SpeechVocabulary,
    questions: list[Question],
    voices: list[VoiceSpec],
    *,
    prefiltered: bool = True,
    prompt: bool = False,
    show: Callable[[str], None] | None = None,
) -> dict[str, Scores]:
    """Score every (question, voice) clip in each mode; modes run on the same clip back to back."""
    modes: dict[str, Recognize] = {
        "base": lambda s: transcriber.transcribe_samples(s, prefiltered=prefiltered).text,
        "bias": lambda s: transcriber.transcribe_samples(s, prefiltered=prefiltered, vocabulary=vocabulary).text,
    }
    if prompt:
        hotwords = vocabulary.prompt([t.text for t in vocabulary.terms])
        modes["prompt"] = lambda s: (
            transcriber.transcribe_samples(s, prefiltered=prefiltered, vocabulary=vocabulary, hotwords=hotwords).text
        )
    scores = {mode: Scores() for mode in modes}
    for voice in voices:
        for question in questions:
            samples = synthesize(engines, voice, question.text)
            texts = {}
            for mode, recognize in modes.items():
                texts[mode], seconds = timed(recognize, samples)
                scores[mode].add(question, texts[mode], seconds)
            if show:
                show(f"  {voice.label:<24} {question.text}\n" + "".join(f"    {m:>6}: {t}\n" for m, t in texts.items()))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="demo,foreign", help="Comma-separated databases of the eval set.")
    parser.add_argument(
        "--voices", default="all", help="all, kokoro, espeak, or comma-separated labels such as kokoro/pf_dora@1"
    )
    parser.add_argument("--limit", type=int, default=0, help="Questions per database (0 = all).")
    parser.add_argument("--full", action="store_true", help="The CLI/API path (VAD + 30 s window).")
    parser.add_argument("--prompt", action="store_true", help="Also measure Whisper prompted with the vocabulary.")
    parser.add_argument("--verbose", action="store_true", help="Print every transcript.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    eval_set = load_eval_set()
    wanted = set(args.voices.split(","))
    voices = [v for v in eval_set.voices if wanted & {"all", v.engine, v.label}]
    if not voices:
        parser.error(f"no voice matches {args.voices!r}: {', '.join(v.label for v in eval_set.voices)}")
    config = SpeechConfig(models_dir=args.models_dir, stt_threads=args.threads)
    engines = SpeechEngines(config)
    transcriber = build_transcriber(config)  # always local here: the bench measures this machine
    transcriber.warm_up()
    transcriber.transcribe_samples(synthesize(engines, voices[0], "Aquecimento do modelo."))
    path = "CLI/API (VAD, 30 s window)" if args.full else "voice loop (trimmed utterance, short window)"
    print(f"model {transcriber.model_path}, path: {path}, voices: {', '.join(v.label for v in voices)}")
    report: dict[str, Any] = {}
    totals = {"base": 0.0, "bias": 0.0, "prompt": 0.0}
    with tempfile.TemporaryDirectory(prefix="vozbd-stt-bench-") as tmp:
        registry = ConnectionRegistry(Path(tmp) / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
        ctx = ToolContext(registry=registry, accept_urls=True, schema_cache_ttl_s=3600)
        for name in args.db.split(","):
            questions = eval_set.questions[name][: args.limit or None]
            vocabulary = eval_vocabulary(ctx, eval_set.sources[name], Path(tmp))
            print(f"\n{name}: {len(questions)} questions x {len(voices)} voices; vocabulary {len(vocabulary)} values")
            scores = run(
                engines,
                transcriber,
                vocabulary,
                questions,
                voices,
                prefiltered=not args.full,
                prompt=args.prompt,
                show=print if args.verbose else None,
            )
            report[name] = {mode: s.summary() for mode, s in scores.items()}
            for mode, s in scores.items():
                totals[mode] += s.seconds
            print(f"{'mode':<7} {'WER':>6} {'entities':>9} {'STT s':>8} {'ratio':>6}")
            for mode, summary in report[name].items():
                ratio = summary["stt_s"] / max(report[name]["base"]["stt_s"], 1e-9)
                print(
                    f"{mode:<7} {summary['wer']:>6.3f} {summary['entity_accuracy']:>9.3f} "
                    f"{summary['stt_s']:>8.2f} {ratio:>6.2f}"
                )
            by_engine: dict[str, list[int]] = {}
            for index, voice in enumerate(v for v in voices for _ in questions):
                by_engine.setdefault(voice.engine, []).append(index)
            for engine, indexes in by_engine.items():
                line = ", ".join(
                    f"{mode} {entity_accuracy([s.cases[i] for i in indexes]):.3f}" for mode, s in scores.items()
                )
                print(f"  entity accuracy, {engine} voices: {line}")
    report["time_ratio"] = round(totals["bias"] / max(totals["base"], 1e-9), 3)
    if args.prompt:
        report["prompt_time_ratio"] = round(totals["prompt"] / max(totals["base"], 1e-9), 3)
    print(f"\nSTT time ratio bias/base: {report['time_ratio']:.3f}", end="")
    print(f", prompt/base: {report['prompt_time_ratio']:.3f}" if args.prompt else "")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
