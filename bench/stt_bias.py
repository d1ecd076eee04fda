"""Schema-aware STT benchmark: WER and entity accuracy with and without a database's vocabulary, and the time ratio.

    .venv/bin/python bench/stt_bias.py [--db foreign,heldout,demo] [--voices all|kokoro|espeak|LABELS]
                                       [--limit N] [--full] [--prompt] [--cache DIR] [--verbose] [--json]

The voice eval set (``bench/data/voice_eval.yaml``) holds spoken questions about the demo database and about two
foreign, entity-rich ones (``bench/data/voice_eval_foreign.sql``: a farmers' cooperative;
``bench/data/voice_eval_heldout.sql``: veterinary clinics, kept out of any tuning); every question names values
stored in its database. Audio is synthesized here with each voice of the set (Kokoro's three pt-BR voices at
three speeds, espeak-ng male/female at two speeds) and transcribed:

- ``base``: Whisper alone;
- ``text``: the same recognition corrected towards the connection's vocabulary (``connection_vocabulary``: the
  schema cache's tables and the value index's values), no second pass;
- ``bias``: what vozbd does (``vozbd transcribe --db``, the chat, the voice loop): the correction, plus a second
  decoding prompted with the few values a first transcript came close to, only for those utterances;
- ``prompt`` (with ``--prompt``): Whisper prompted with the whole vocabulary (hotwords, bounded) — the costly way.

Entity accuracy: share of the questions' values recognised exactly as stored (case and punctuation aside).
False corrections: values written into a transcript that its question did not name.
STT time ratio: total STT time of a mode over ``base``'s, same clips, same run. By default recognition runs as in
the voice loop (VAD-trimmed utterance, short encoder window); ``--full`` uses the CLI/API path (VAD, 30 s window).
``--cache DIR`` keeps the synthesized clips between runs (synthesis is most of a run's time).
With ``--json`` the last line is ``{"<db>": {"<mode>": {...}, "voices": {"<voice>": {"<mode>": {...}}}}, ...,
"time_ratio": ..., "second_pass_share": ...}``.
Numbers depend on the machine's load: the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import hashlib
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
from agent.speech.metrics import corpus_wer, entity_accuracy, entity_found
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


def synthesize(engines: SpeechEngines, voice: VoiceSpec, text: str, cache: Path | None = None) -> np.ndarray:
    """The question spoken by ``voice``, at 16 kHz (read from / saved to ``cache`` when given)."""
    target = None
    if cache is not None:
        digest = hashlib.sha256(f"{voice.label}\n{text}".encode()).hexdigest()[:20]
        target = cache / f"{digest}.npy"
        if target.exists():
            return np.load(target)
    synthesizer = engines.synthesizer(voice.engine)
    chunks = list(synthesizer.synthesize(prepare_for_speech(text), voice=voice.voice, speed=voice.speed))
    samples = resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, STT_RATE)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        np.save(target, samples)
    return samples


@dataclass
class Scores:
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (reference, transcript)
    cases: list[tuple[list[str], str]] = field(default_factory=list)  # (entities, transcript)
    voices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    false_corrections: int = 0

    def add(self, question: Question, voice: VoiceSpec, text: str, seconds: float, wrong: int = 0) -> None:
        self.pairs.append((question.text, text))
        self.cases.append((question.entities, text))
        self.voices.append(voice.label)
        self.seconds += seconds
        self.false_corrections += wrong

    def summary(self, voice: str | None = None) -> dict[str, float]:
        keep = [i for i, label in enumerate(self.voices) if voice in (None, label)]
        summary: dict[str, float] = {
            "wer": round(corpus_wer([self.pairs[i] for i in keep]), 3),
            "entity_accuracy": round(entity_accuracy([self.cases[i] for i in keep]), 3),
            "clips": len(keep),
        }
        if voice is None:
            summary |= {"stt_s": round(self.seconds, 2), "false_corrections": self.false_corrections}
        return summary


def false_corrections(vocabulary: SpeechVocabulary, question: Question, heard: str, text: str) -> int:
    """Stored values in ``text`` that were not in what Whisper heard and are not (part of) a value the question
    names ("cupuaçu" inside "Polpa de Cupuaçu" is not a false correction)."""
    return sum(
        1
        for term in vocabulary.terms
        if entity_found(term.text, text)
        and not entity_found(term.text, heard)
        and not any(entity_found(term.text, named) for named in question.entities)
    )


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
    cache: Path | None = None,
    show: Callable[[str], None] | None = None,
) -> dict[str, Scores]:
    """Score every (question, voice) clip in each mode; modes run on the same clip back to back."""

    def recognize(**options: Any) -> Recognize:
        return lambda samples: transcriber.transcribe_samples(samples, prefiltered=prefiltered, **options).text

    modes: dict[str, Recognize] = {
        "base": recognize(),
        "text": recognize(vocabulary=vocabulary, second_pass=False),
        "bias": recognize(vocabulary=vocabulary),
    }
    if prompt:
        modes["prompt"] = recognize(
            vocabulary=vocabulary, hotwords=vocabulary.prompt([t.text for t in vocabulary.terms])
        )
    scores = {mode: Scores() for mode in modes}
    order = list(modes)
    for voice in voices:
        for question in questions:
            samples = synthesize(engines, voice, question.text, cache)
            texts = {}
            order = order[1:] + order[:1]  # each mode runs first as often as the others (timing fairness)
            seconds_of = {}
            for mode in order:
                texts[mode], seconds_of[mode] = timed(modes[mode], samples)
            for mode in modes:
                wrong = 0 if mode == "base" else false_corrections(vocabulary, question, texts["base"], texts[mode])
                scores[mode].add(question, voice, texts[mode], seconds_of[mode], wrong)
            if show:
                show(f"  {voice.label:<24} {question.text}\n" + "".join(f"    {m:>6}: {texts[m]}\n" for m in modes))
    return scores


def second_pass_share(vocabulary: SpeechVocabulary, base: Scores) -> float:
    """Share of the clips whose first transcript had near misses (the ones decoded twice in ``bias`` mode)."""
    heard = [text for _, text in base.pairs]
    return sum(bool(vocabulary.correct(text).near[: vocabulary.limits.prompt_values]) for text in heard) / max(
        len(heard), 1
    )


def print_table(title: str, scores: dict[str, Scores], voices: list[VoiceSpec]) -> dict[str, Any]:
    """Print and return one database's numbers: per mode, then per voice and per engine."""
    report: dict[str, Any] = {mode: s.summary() for mode, s in scores.items()}
    base_s = max(report["base"]["stt_s"], 1e-9)
    print(f"{title}\n{'mode':<7} {'WER':>6} {'entities':>9} {'false':>6} {'STT s':>8} {'ratio':>6}")
    for mode, summary in report.items():
        print(
            f"{mode:<7} {summary['wer']:>6.3f} {summary['entity_accuracy']:>9.3f} "
            f"{summary['false_corrections']:>6} {summary['stt_s']:>8.2f} {summary['stt_s'] / base_s:>6.2f}"
        )
    report["voices"] = {}
    groups = [(v.label, [v.label]) for v in voices] + [
        (f"all {engine}", [v.label for v in voices if v.engine == engine])
        for engine in dict.fromkeys(v.engine for v in voices)
    ]
    print(f"  {'voice':<26} " + "  ".join(f"{mode:>13}" for mode in scores) + "   (entities / WER)")
    for label, members in groups:
        cells = {}
        for mode, s in scores.items():
            keep = [i for i, v in enumerate(s.voices) if v in members]
            cells[mode] = {
                "entity_accuracy": round(entity_accuracy([s.cases[i] for i in keep]), 3),
                "wer": round(corpus_wer([s.pairs[i] for i in keep]), 3),
                "clips": len(keep),
            }
        report["voices"][label] = cells
        print(f"  {label:<26} " + "  ".join(f"{c['entity_accuracy']:.3f} / {c['wer']:.3f}" for c in cells.values()))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="foreign,heldout,demo", help="Comma-separated databases of the eval set.")
    parser.add_argument(
        "--voices", default="all", help="all, kokoro, espeak, or comma-separated labels such as kokoro/pf_dora@1"
    )
    parser.add_argument("--limit", type=int, default=0, help="Questions per database (0 = all).")
    parser.add_argument("--full", action="store_true", help="The CLI/API path (VAD + 30 s window).")
    parser.add_argument("--prompt", action="store_true", help="Also measure Whisper prompted with the vocabulary.")
    parser.add_argument("--cache", type=Path, help="Keep synthesized clips in this folder between runs.")
    parser.add_argument("--verbose", action="store_true", help="Print every transcript.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    eval_set = load_eval_set()
    names = args.db.split(",")
    unknown = [name for name in names if name not in eval_set.questions]
    if unknown:
        parser.error(f"unknown database {', '.join(unknown)}: {', '.join(eval_set.questions)}")
    wanted = set(args.voices.split(","))
    voices = [v for v in eval_set.voices if wanted & {"all", v.engine, v.label}]
    if not voices:
        parser.error(f"no voice matches {args.voices!r}: {', '.join(v.label for v in eval_set.voices)}")
    config = SpeechConfig(models_dir=args.models_dir, stt_threads=args.threads)
    engines = SpeechEngines(config)
    transcriber = build_transcriber(config)  # always local here: the bench measures this machine
    transcriber.warm_up()
    transcriber.transcribe_samples(synthesize(engines, voices[0], "Aquecimento do modelo.", args.cache))
    path = "CLI/API (VAD, 30 s window)" if args.full else "voice loop (trimmed utterance, short window)"
    print(f"model {transcriber.model_path}, path: {path}, voices: {', '.join(v.label for v in voices)}")
    report: dict[str, Any] = {}
    totals: dict[str, float] = {}
    twice = clips = 0
    with tempfile.TemporaryDirectory(prefix="vozbd-stt-bench-") as tmp:
        registry = ConnectionRegistry(Path(tmp) / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
        ctx = ToolContext(registry=registry, accept_urls=True, schema_cache_ttl_s=3600)
        for name in names:
            questions = eval_set.questions[name][: args.limit or None]
            vocabulary = eval_vocabulary(ctx, eval_set.sources[name], Path(tmp))
            scores = run(
                engines,
                transcriber,
                vocabulary,
                questions,
                voices,
                prefiltered=not args.full,
                prompt=args.prompt,
                cache=args.cache,
                show=print if args.verbose else None,
            )
            title = f"\n{name}: {len(questions)} questions x {len(voices)} voices; vocabulary {len(vocabulary)} values"
            report[name] = print_table(title, scores, voices)
            share = second_pass_share(vocabulary, scores["base"])
            report[name]["second_pass_share"] = round(share, 3)
            print(f"  second pass on {share:.0%} of the clips")
            twice += round(share * len(scores["base"].pairs))
            clips += len(scores["base"].pairs)
            for mode, s in scores.items():
                totals[mode] = totals.get(mode, 0.0) + s.seconds
    base_s = max(totals["base"], 1e-9)
    report["time_ratio"] = round(totals["bias"] / base_s, 3)
    report["text_time_ratio"] = round(totals["text"] / base_s, 3)
    report["second_pass_share"] = round(twice / max(clips, 1), 3)
    print(
        f"\nSTT time ratio bias/base: {report['time_ratio']:.3f} (second pass on {twice} of {clips} clips), "
        f"text/base: {report['text_time_ratio']:.3f}",
        end="",
    )
    if args.prompt:
        report["prompt_time_ratio"] = round(totals["prompt"] / base_s, 3)
        print(f", prompt/base: {report['prompt_time_ratio']:.3f}", end="")
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
