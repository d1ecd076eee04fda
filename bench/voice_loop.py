"""Voice loop benchmark: end of speech → first answer audio, hands-free vs push-to-talk, on this machine's cores.

    .venv/bin/python bench/voice_loop.py [--questions 24] [--json] [--models-dir DIR] [--floor] [--chunk-ms 40]

Spoken pt-BR questions of varied length are synthesized here (Kokoro, three voices and speeds), streamed in real
time as 24 kHz PCM16 (the browser's rate) through ``agent.voice.loop.VoiceLoop`` with the real agent (scripted
model, demo database), Whisper and Kokoro. Hands-free: from the *actual* end of the voice in the audio (last
audible sample, so the silence wait counts) to the first sound of the answer. Push-to-talk, same run and
questions (the two modes alternate question by question, so load changes hit both alike): from the stop click
(``end_of_input()``) to the first sound of the answer (its first audible sample; each answer is then stopped,
only its start is measured). Questions are synthesized once and kept in
``--cache-dir``. Prints p50/p95, the run's conditions (cores, nice, load average) and the
per-stage split; with ``--json`` the last line is
``{"hands_free": {"p50_s": …, "p95_s": …}, "push_to_talk": {"p50_s": …, "p95_s": …}, "stages": {…}}``.
The LLM is scripted (its time is ~0), so this measures our pipeline. Numbers depend on the machine's load.
``--floor`` adds both modes again in the same rounds with fixed-time stand-in engines (``bench/voice_floor.py``:
a recognizer and a synthesizer that sleep a fixed time, the same in both modes): their difference is what the
loop's structure costs hands-free by itself, mostly the microphone's chunking (the end of the voice is known only
when the chunk holding it arrives; push-to-talk is timed from a click that comes with all its audio). ``--chunk-ms``
sets the microphone's chunk (40 ms by default; Chainlit's recorder sends 8192-byte chunks, 171 ms at 24 kHz).
Hands-free uses the loop's defaults (speculative recognition and speculative answer at every ``--pause-ms``
pause or sooner at the quiet cue; see ``agent.voice.loop``); the options change them for experiments, and
``--ab-quiet-cue`` adds hands-free with the quiet cue off to the same rounds. ``recognition_start_s`` and
``recognized_s`` time the recognition that was answered from the end of the voice (push-to-talk: the click).
The stages also give each mode's WER against the questions' text, so a faster recognition that hears worse
shows. Measured on this 2-core machine shared with other jobs (README, "Latency"): at load 6.6 / 11.3 the
answered recognition started 0.03 s after the end of the voice with the quiet cue and 0.085 s without (p50,
same rounds); end to end hands-free 2.21 s, without the cue 2.27 s, push-to-talk 1.93 s (ratio 1.15): under
load the first clause's synthesis swings more than the detection saves, and hands-free still trails. On the
quiet machine (load 1.3 / 0.5): hands-free 0.863 s, without the cue 0.905 s, push-to-talk 0.862 s (ratio 1.00).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    # Run as a script: import from the repo root, not bench/ (where bench/agent.py would shadow the agent package).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from agent.checkpoint import HeldCheckpoints
from agent.events import AgentEvent
from agent.speech.audio import pcm16_bytes, resample
from agent.speech.base import Synthesizer, Transcript
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer
from agent.speech.speak import clauses_of
from agent.voice.config import TurnConfig
from agent.voice.events import AnswerAudio, TurnDone, VoiceEvent
from agent.voice.loop import VoiceLoop, VoiceLoopConfig, whisper_recognizer
from bench.voice_floor import FixedTimeRecognizer, FixedTimeSynthesizer

MIC_RATE = 24_000
CHUNK_S = 0.04
LEAD_S, TAIL_S = 0.3, 1.6  # silence before / after each question (the tail covers the end-of-utterance wait)

QUESTIONS = (
    "Quantos clientes temos?",
    "Qual o ticket médio?",
    "Quantos pedidos atrasados temos em São Paulo?",
    "Quais os cinco produtos mais vendidos?",
    "Qual foi o faturamento de maio?",
    "Quantas entregas atrasaram na semana passada?",
    "Quantos chamados de suporte estão abertos?",
    "Qual cliente fez mais pedidos este ano?",
    "Quantos pedidos foram cancelados em abril?",
    "Qual a cidade com mais clientes cadastrados no Nordeste?",
    "Me diga o faturamento total por estado no primeiro trimestre.",
    "Quantos produtos da categoria eletrônicos estão sem estoque?",
    "Qual o prazo médio de entrega para o Rio de Janeiro?",
    "Quantos pedidos acima de mil reais tivemos no mês passado?",
    "Liste as transportadoras com mais atrasos.",
    "Qual foi o produto mais devolvido?",
    "Quantos clientes novos se cadastraram em junho?",
    "Qual a média de itens por pedido em Minas Gerais?",
    "Quantos chamados foram resolvidos em menos de um dia?",
    "Quanto vendemos ontem?",
    "Qual a forma de pagamento mais usada pelos clientes de Curitiba?",
    "Quantos pedidos de Porto Alegre ainda não foram entregues, e qual o valor total deles?",
    "Temos pedidos duplicados?",
    "Qual vendedor bateu a meta?",
)
VOICES = (("pf_dora", 1.0), ("pm_alex", 1.05), ("pm_santa", 0.95))

SCRIPT = """
default:
  - tool_calls: [{name: run_query, args: {sql: "SELECT COUNT(*) AS total FROM pedidos WHERE status = 'atrasado'"}}]
  - content: "Encontrei {last_result_first_value} pedidos nessa situação. A maioria é de eletrônicos, de São Paulo."
"""


@dataclass
class Question:
    text: str
    pcm: bytes  # PCM16 at MIC_RATE: LEAD_S silence, the question, TAIL_S silence
    speech_end_s: float  # offset of the last audible sample


def audible_end(samples: np.ndarray, rate: int, threshold: float = 0.01) -> float:
    """Seconds to the end of the last 10 ms frame whose peak is above ``threshold``."""
    frame = rate // 100
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    loud = np.flatnonzero(np.abs(frames).max(axis=1) > threshold)
    return float((loud[-1] + 1) * frame / rate) if loud.size else 0.0


def audible_start(samples: np.ndarray, rate: int, threshold: float = 0.01) -> float | None:
    """Seconds to the start of the first 10 ms frame whose peak is above ``threshold`` (None: all silent)."""
    frame = max(1, rate // 100)
    padded = np.concatenate([samples, np.zeros(-samples.size % frame, np.float32)])
    loud = np.flatnonzero(np.abs(padded.reshape(-1, frame)).max(axis=1) > threshold)
    return float(loud[0] * frame / rate) if loud.size else None


def spoken(kokoro: Synthesizer, text: str, voice: str, speed: float, cache_dir: Path | None) -> np.ndarray:
    """The question spoken by Kokoro at MIC_RATE (kept in ``cache_dir``: synthesis is slow on a loaded machine)."""
    key = hashlib.sha256(f"{voice}|{speed}|{MIC_RATE}|{text}".encode()).hexdigest()[:24]
    path = cache_dir / f"{key}.npy" if cache_dir else None
    if path is not None and path.is_file():
        return np.load(path)
    chunks = [kokoro.synthesize_clause(c, voice=voice, speed=speed) for c in clauses_of(text)]  # type: ignore[attr-defined]  # a KokoroSynthesizer, typed as the Synthesizer protocol
    speech = resample(np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate, MIC_RATE)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, speech)
    return speech


def make_questions(kokoro: Synthesizer, count: int, cache_dir: Path | None) -> list[Question]:
    questions = []
    for i in range(count):
        text = QUESTIONS[i % len(QUESTIONS)]
        voice, speed = VOICES[i % len(VOICES)]
        speech = spoken(kokoro, text, voice, speed, cache_dir)
        lead, tail = np.zeros(int(LEAD_S * MIC_RATE), np.float32), np.zeros(int(TAIL_S * MIC_RATE), np.float32)
        audio = np.concatenate([lead, speech, tail])
        questions.append(Question(text, pcm16_bytes(audio), LEAD_S + audible_end(speech, MIC_RATE)))
    return questions


class Collector:
    """Records when the first *sound* of each answer reached the player: the arrival of its first chunk plus the
    offset of the first audible sample in it (leading silence is not an answer yet)."""

    def __init__(self) -> None:
        self.first_audio: dict[int, float] = {}
        self.done: dict[int, TurnDone] = {}
        self.event = asyncio.Event()
        self.on_first_audio: Callable[[int], Awaitable[None]] | None = None

    async def __call__(self, event: VoiceEvent) -> None:
        if isinstance(event, AnswerAudio) and event.turn not in self.first_audio:
            samples = np.frombuffer(event.pcm16, dtype="<i2").astype(np.float32) / 32768
            start = audible_start(samples, event.sample_rate)
            if start is None:
                return  # a silent chunk: the answer has not started sounding
            self.first_audio[event.turn] = time.perf_counter() + start
            if self.on_first_audio is not None:
                await self.on_first_audio(event.turn)
        elif isinstance(event, TurnDone):
            self.done[event.turn] = event
            self.event.set()


class ModeRunner:
    """One mode's loop (hands-free or push-to-talk); ``ask`` streams one question and measures its answer."""

    def __init__(
        self,
        *,
        hands_free: bool,
        agent,
        transcriber,
        kokoro,
        beam_size: int | None,
        config: VoiceLoopConfig,
        chunk_s: float = CHUNK_S,
        stand_in: tuple[float, float] | None = None,
    ) -> None:
        self.hands_free = hands_free
        self.chunk_s = chunk_s
        self.collector = Collector()
        self.turn = 0
        self.asking = ""  # the question being asked (what the stand-in recognizer hears)
        # (wall start, wall end or None when abandoned) of every recognition the loop ran, to time the used one
        self.recognitions: list[tuple[float, float | None]] = []
        if stand_in is not None:  # --floor: fixed-time engines, the same in both modes (bench/voice_floor.py)
            whisper: Callable[..., Transcript] = FixedTimeRecognizer(stand_in[0], lambda: self.asking)
            kokoro = FixedTimeSynthesizer(stand_in[1])
        else:
            whisper = whisper_recognizer(transcriber, beam_size=beam_size)

        def recognize(samples: np.ndarray, *, abandon: Callable[[], bool] | None = None) -> Transcript:
            start = time.perf_counter()
            try:
                transcript = whisper(samples, abandon=abandon)
            except Exception:
                self.recognitions.append((start, None))
                raise
            self.recognitions.append((start, time.perf_counter()))
            return transcript

        self.agent_turns = 0  # agent turns started, drafts included (a dropped draft is wasted CPU)

        def respond(question: str, *, hold: HeldCheckpoints | None = None) -> AsyncIterator[AgentEvent]:
            self.agent_turns += 1
            return agent.astream_turn(
                question=question, conversation_id=f"bench-{hands_free}-{id(self)}", speak=False, hold=hold
            )

        self.loop = VoiceLoop(
            recognize=recognize,
            synthesizer=kokoro,
            respond=respond,
            emit=self.collector,
            config=replace(config, hands_free=hands_free, barge_in=False),
        )

        async def stop_after_first_audio(turn: int) -> None:
            # Only the first sound is measured: stop the answer there (as a click on stop would), so the rest of
            # it is not synthesized and the next question does not wait for its playback.
            await self.loop.interrupt()

        self.collector.on_first_audio = stop_after_first_audio

    async def ask(self, q: Question) -> dict:
        hands_free, loop, collector = self.hands_free, self.loop, self.collector
        self.turn += 1
        self.asking = q.text
        turn = self.turn
        step = int(self.chunk_s * MIC_RATE) * 2
        silence = bytes(step)
        collector.event.clear()
        calls, turns = len(self.recognitions), self.agent_turns
        started = time.perf_counter()
        speech_end_wall = None
        limit = len(q.pcm) if hands_free else int((q.speech_end_s + 0.3) * MIC_RATE) * 2  # the click 0.3 s later
        for offset in range(0, limit, step):
            due = started + offset / 2 / MIC_RATE
            await asyncio.sleep(max(0.0, due - time.perf_counter()))  # real time, like a microphone
            piece = q.pcm[offset : min(offset + step, limit)]
            await loop.feed(piece, MIC_RATE)
            if speech_end_wall is None and (offset + len(piece)) / 2 / MIC_RATE >= q.speech_end_s:
                # the wall time at which the last audible sample reached the server
                speech_end_wall = time.perf_counter() - ((offset + len(piece)) / 2 / MIC_RATE - q.speech_end_s)
        click = time.perf_counter()
        if not hands_free:
            await loop.end_of_input()
        while turn not in collector.done:  # the microphone keeps sending silence while the answer comes
            try:
                await asyncio.wait_for(collector.event.wait(), self.chunk_s)
            except TimeoutError:
                if hands_free:
                    await loop.feed(silence, MIC_RATE)
            collector.event.clear()
            if time.perf_counter() - click > 60:
                raise RuntimeError(f"no answer for turn {turn}: {q.text!r}")
        done = collector.done[turn]
        first = collector.first_audio.get(turn)
        origin = speech_end_wall if hands_free else click
        await asyncio.sleep(0.3)
        latency = (first - origin) if first and origin else None
        row = {"question": q.text, "heard": done.question, "latency_s": latency, **done.timings}
        row["agent_turns"] = self.agent_turns - turns
        used = [(start, end) for start, end in self.recognitions[calls:] if end is not None]
        if used and origin:  # the last finished recognition is the one answered (from the end of voice / the click)
            row["recognition_start_s"] = round(used[-1][0] - origin, 3)
            row["recognized_s"] = round(used[-1][1] - origin, 3)
            # recognitions the loop started after the answered one (they compete with the answer for the CPU)
            row["recognitions_after"] = sum(start > used[-1][0] for start, _ in self.recognitions[calls:])
        return row

    async def close(self) -> None:
        await self.loop.close()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 3)


def summary(rows: list[dict], key: str = "latency_s") -> dict[str, float]:
    values = [r[key] for r in rows if r.get(key) is not None]
    return {"p50_s": pct(values, 0.5), "p95_s": pct(values, 0.95), "n": len(values)}


async def amain(args: argparse.Namespace) -> tuple[dict, dict]:
    from vozbd.wiring import build_app, load_settings

    config = SpeechConfig(models_dir=args.models_dir, stt_threads=args.threads, beam_size=args.beam_size)
    engines = SpeechEngines(config)
    transcriber, kokoro = engines.transcriber(), engines.synthesizer("kokoro")
    tmp = Path(tempfile.mkdtemp(prefix="vozbd-bench-voice-"))
    script = tmp / "script.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    app = build_app(load_settings(data_dir=tmp, models_dir=args.models_dir))
    agent = app.agents.build(f"scripted/{script}", speech=False)
    print(f"synthesizing {args.questions} questions (kept in {args.cache_dir})…", file=sys.stderr)
    questions = make_questions(kokoro, args.questions, args.cache_dir)
    # Warm-up: load Whisper, Kokoro and the agent (not measured).
    loop_config = VoiceLoopConfig(
        turns=TurnConfig(pause_ms=args.pause_ms, silence_ms=args.silence_ms),
        speculative_answer=not args.no_speculative_answer,
        first_clause_chars=args.first_clause_chars,
        quiet_cue_db=args.quiet_cue_db,
    )
    engines_ = {
        "agent": agent,
        "transcriber": transcriber,
        "kokoro": kokoro,
        "beam_size": args.loop_beam_size,
        "config": loop_config,
        "chunk_s": args.chunk_ms / 1000,
    }
    warm_up = ModeRunner(hands_free=False, **engines_)
    await warm_up.ask(questions[0])
    await warm_up.close()
    load_before = os.getloadavg()[0]
    # The modes alternate question by question, so a change in the machine's load affects both alike.
    runners = [ModeRunner(hands_free=True, **engines_), ModeRunner(hands_free=False, **engines_)]
    no_cue: list[dict] = []
    floor_hf: list[dict] = []
    floor_ptt: list[dict] = []
    extra: list[tuple[ModeRunner, list[dict]]] = []
    if args.ab_quiet_cue:  # another mode in the same rounds: hands-free with the quiet cue off
        off = ModeRunner(hands_free=True, **(engines_ | {"config": replace(loop_config, quiet_cue_db=0.0)}))
        extra.append((off, no_cue))
    if args.floor:  # both modes again with fixed-time stand-in engines (bench/voice_floor.py), same rounds
        stand_in = (args.floor_stt_s, args.floor_tts_s)
        extra += [
            (ModeRunner(hands_free=True, **engines_, stand_in=stand_in), floor_hf),
            (ModeRunner(hands_free=False, **engines_, stand_in=stand_in), floor_ptt),
        ]
    runners += [runner for runner, _ in extra]
    hands_free: list[dict] = []
    push: list[dict] = []
    for q in questions:
        for runner, rows in zip(runners, (hands_free, push, *(rows for _, rows in extra)), strict=True):
            rows.append(await runner.ask(q))
    for runner in runners:
        await runner.close()
    load_after = os.getloadavg()[0]
    both = ("recognition_start_s", "recognized_s", "stt_s", "stt_wait_s", "agent_first_text_s", "tts_first_audio_s")
    stages = {f"hands_free.{k}": summary(hands_free, k) for k in ("endpoint_s", *both)} | {
        f"push_to_talk.{k}": summary(push, k) for k in both
    }
    spec = [r.get("speculative", 0) for r in hands_free]
    stages["hands_free.speculative_share"] = {"value": round(sum(spec) / max(1, len(spec)), 3)}
    drafts = [r.get("speculative_answer", 0) for r in hands_free]
    stages["hands_free.speculative_answer_share"] = {"value": round(sum(drafts) / max(1, len(drafts)), 3)}
    stages["hands_free.draft_lead_s"] = summary(hands_free, "draft_lead_s")
    counts = [r.get("speculations", 0) for r in hands_free]  # speculative recognitions started per question
    stages["hands_free.speculations_per_question"] = {"value": round(sum(counts) / max(1, len(counts)), 2)}
    for mode, rows in (("hands_free", hands_free), ("push_to_talk", push)):  # what was heard, not only how fast
        stages[f"{mode}.wer"] = {"value": round(corpus_wer([(r["question"], r["heard"]) for r in rows]), 3)}
    if args.verbose:
        for row in hands_free + push:
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    hf, ptt = summary(hands_free), summary(push)
    conditions = {
        "cores": os.cpu_count(),
        "load_avg_1m": [round(load_before, 1), round(load_after, 1)],
        "nice": os.nice(0),
        "ratio_p50": round(hf["p50_s"] / ptt["p50_s"], 3) if ptt["p50_s"] else None,
        "loop": f"pause {args.pause_ms} ms, silence {args.silence_ms} ms, first clause {args.first_clause_chars} chars,"
        f" speculative answer {'off' if args.no_speculative_answer else 'on'}, quiet cue {args.quiet_cue_db:g} dB",
    }
    report: dict = {"hands_free": hf, "push_to_talk": ptt, "stages": stages}
    if floor_hf:
        floor_hf_p50, floor_ptt_p50 = summary(floor_hf), summary(floor_ptt)
        report["floor"] = {
            "hands_free": floor_hf_p50,
            "push_to_talk": floor_ptt_p50,
            "difference_p50_s": round(floor_hf_p50["p50_s"] - floor_ptt_p50["p50_s"], 3),
        }
        stages["floor.hands_free.recognition_start_s"] = summary(floor_hf, "recognition_start_s")
        stages["floor.push_to_talk.recognition_start_s"] = summary(floor_ptt, "recognition_start_s")
    if no_cue:
        report["hands_free_no_quiet_cue"] = summary(no_cue)
        for k in ("recognition_start_s", "recognized_s"):
            stages[f"hands_free_no_quiet_cue.{k}"] = summary(no_cue, k)
        counts = [r.get("speculations", 0) for r in no_cue]
        stages["hands_free_no_quiet_cue.speculations_per_question"] = {"value": round(sum(counts) / len(counts), 2)}
        stages["hands_free_no_quiet_cue.wer"] = {
            "value": round(corpus_wer([(r["question"], r["heard"]) for r in no_cue]), 3)
        }
        if args.verbose:
            for row in no_cue:
                print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    return report, conditions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".local/share/vozbd/models")
    parser.add_argument("--questions", type=int, default=24)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "vozbd-bench-voice-questions",
        help="where the synthesized questions are kept between runs",
    )
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--beam-size", type=int, default=5, help="the transcriber's beam (REST, CLI)")
    parser.add_argument("--loop-beam-size", type=int, default=None, help="the voice loop's beam (default: --beam-size)")
    defaults = VoiceLoopConfig()
    parser.add_argument("--pause-ms", type=int, default=defaults.turns.pause_ms, help="pause that starts speculation")
    parser.add_argument("--silence-ms", type=int, default=defaults.turns.silence_ms, help="silence ending a question")
    parser.add_argument(
        "--first-clause-chars", type=int, default=defaults.first_clause_chars, help="length of the first clause"
    )
    parser.add_argument(
        "--quiet-cue-db",
        type=float,
        default=defaults.quiet_cue_db,
        help="energy drop (dB) that starts speculation before the VAD's pause (0: off)",
    )
    parser.add_argument(
        "--no-speculative-answer", action="store_true", help="start the answer only once the question has ended"
    )
    parser.add_argument(
        "--ab-quiet-cue", action="store_true", help="also run hands-free with the quiet cue off, in the same rounds"
    )
    parser.add_argument(
        "--chunk-ms", type=float, default=CHUNK_S * 1000, help="microphone chunk length (Chainlit's recorder: ~171)"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run both modes with fixed-time stand-in engines in the same rounds (bench/voice_floor.py): the"
        " difference the loop's structure alone makes",
    )
    parser.add_argument("--floor-stt-s", type=float, default=0.3, help="the stand-in recognizer's time (--floor)")
    parser.add_argument("--floor-tts-s", type=float, default=0.45, help="the stand-in synthesizer's time per clause")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on the last line")
    parser.add_argument("--verbose", action="store_true", help="per-question rows on stderr")
    args = parser.parse_args()
    report, conditions = asyncio.run(amain(args))
    hf, ptt = report["hands_free"], report["push_to_talk"]
    print(f"end of speech → first answer audio ({hf['n']} questions, {os.cpu_count()} cores)")
    print(f"  hands-free   p50 {hf['p50_s']:.3f} s  p95 {hf['p95_s']:.3f} s  (from the actual end of the voice)")
    print(f"  push-to-talk p50 {ptt['p50_s']:.3f} s  p95 {ptt['p95_s']:.3f} s  (from the stop click)")
    print(f"  hands-free / push-to-talk p50 ratio: {hf['p50_s'] / ptt['p50_s']:.2f}")
    if "hands_free_no_quiet_cue" in report:
        off = report["hands_free_no_quiet_cue"]
        print(f"  hands-free, quiet cue off p50 {off['p50_s']:.3f} s  p95 {off['p95_s']:.3f} s  (same rounds)")
    if "floor" in report:
        floor = report["floor"]
        print(
            f"  floor (fixed-time engines, same rounds): hands-free p50 {floor['hands_free']['p50_s']:.3f} s,"
            f" push-to-talk p50 {floor['push_to_talk']['p50_s']:.3f} s, difference {floor['difference_p50_s']:+.3f} s"
        )
    for name, value in report["stages"].items():
        print(f"  {name:<36} " + "  ".join(f"{k} {v}" for k, v in value.items()))
    print(
        f"conditions: {conditions['cores']} cores, nice {conditions['nice']}, 1-min load average "
        f"{conditions['load_avg_1m'][0]} before / {conditions['load_avg_1m'][1]} after the measured runs;"
        f" loop: {conditions['loop']}"
    )
    if args.json:
        print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
