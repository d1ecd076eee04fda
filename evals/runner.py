"""Run a suite through the real agent (``agent.service.Agent.ask``) and score every answer by execution.

For each case: the gold SQL runs once (read-only, ``evals.execution``); the agent answers the question
(plus a context line with the reference date / BIRD evidence) in a fresh conversation; the **predicted SQL is
the last successful ``run_query`` call of the turn** (a query the agent ran without error); it is re-executed
on the same connection with the same row cap as the gold, and both results are compared
(``evals.scoring``). One JSON line per case goes to ``results.jsonl`` as soon as it is scored, so an
interrupted run resumes where it stopped (``resume=True`` skips the ids already there).

With ``voice=True`` each case is also asked by voice: the question is synthesized with the project's TTS,
transcribed with the project's STT (``agent.speech.engines``), and the transcript is asked; these rows have
``mode: "voice"``, the transcript and its WER against the written question.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.speech.base import SpeechError
from evals.execution import (
    DEFAULT_EVAL_MAX_ROWS,
    Executed,
    compare_executed,
    connection_dialect,
    eval_context,
    execute_sql,
)
from evals.records import EvalRecord
from evals.runfiles import RESULTS_FILE, RUN_FILE, RunError, load_records, ms_since, prepare_out_dir
from evals.suite import EvalCase, Suite, load_suite
from evals.voice import SpeechRoundTrip, word_error_rate
from tools.errors import ToolError

if TYPE_CHECKING:
    from agent.factory import AgentFactory
    from agent.service import Agent
    from agent.speech.engines import SpeechEngines
    from tools.context import ToolContext

log = logging.getLogger(__name__)

REFERENCE_NOTE = 'Contexto: a data de referência ("hoje") para datas relativas é {date}.'
EVIDENCE_NOTE = "Dica: {evidence}"


@dataclass(frozen=True)
class RunConfig:
    suite_path: Path
    model: str | None
    out_dir: Path
    db: str | None = None
    limit: int | None = None
    tags: tuple[str, ...] = ()
    concurrency: int = 4
    resume: bool = False
    voice: bool = False
    max_rows: int = DEFAULT_EVAL_MAX_ROWS


@dataclass
class RunOutcome:
    out_dir: Path
    records: list[EvalRecord]
    skipped: int
    new: int
    wall_s: float
    meta: dict[str, Any] = field(default_factory=dict)


def question_text(case: EvalCase, question: str | None = None) -> str:
    """What the agent is asked: the question plus a context line (reference date, evidence) when the case has one."""
    notes = []
    if case.reference_date:
        notes.append(REFERENCE_NOTE.format(date=case.reference_date.isoformat()))
    if case.evidence:
        notes.append(EVIDENCE_NOTE.format(evidence=case.evidence))
    text = question if question is not None else case.question
    return text + ("\n\n(" + " ".join(notes) + ")" if notes else "")


def predicted_sql(sql_runs: list[dict[str, Any]]) -> str | None:
    """The statement of the last ``run_query`` call of the turn that ran without error."""
    for run in reversed(sql_runs):
        if not run.get("error_code") and run.get("statement"):
            return str(run["statement"])
    return None


def _failure_kind(turn_error: str | None, sql_runs: list[dict[str, Any]]) -> str:
    """Why a turn produced no usable SQL (for the error breakdown)."""
    codes = [r.get("error_code") for r in sql_runs]
    if turn_error and turn_error not in ("sql_attempts_exhausted",):
        return turn_error
    if codes and all(c == "unsafe_query" for c in codes):
        return "unsafe_rejected"
    if codes:
        return "sql_error"
    return "no_sql"


class Runner:
    def __init__(
        self,
        config: RunConfig,
        suite: Suite,
        agent: Agent,
        tool_ctx: ToolContext,
        *,
        speech: SpeechRoundTrip | None = None,
        on_done: Callable[[EvalRecord], None] | None = None,
    ):
        self.config = config
        self.suite = suite
        self.agent = agent
        self.ctx = eval_context(tool_ctx, config.max_rows)
        self.speech = speech
        self.on_done = on_done
        self.run_id = uuid.uuid4().hex[:8]
        self._results = (config.out_dir / RESULTS_FILE).open("a", encoding="utf-8")

    def close(self) -> None:
        self._results.close()

    def _write(self, record: EvalRecord) -> None:
        self._results.write(record.to_json_line())
        self._results.flush()
        if self.on_done is not None:
            self.on_done(record)

    async def _gold(self, case: EvalCase, db: str | None) -> tuple[Executed | None, str | None, str | None, str]:
        """``(executed gold or None, error text, dialect, connection label)``."""
        try:
            label, dialect = await asyncio.to_thread(connection_dialect, self.ctx, db)
        except ToolError as error:
            return None, f"{error.code}: {error.message}", None, str(db)
        try:
            sql = case.gold_for(dialect)
        except KeyError as error:
            return None, str(error.args[0]), dialect, label
        gold = await asyncio.to_thread(execute_sql, self.ctx, sql, db)
        if not gold.ok:
            return gold, f"{gold.error_code}: {gold.error_message}", dialect, label
        return gold, None, dialect, label

    async def _answer(
        self,
        case: EvalCase,
        mode: str,
        db: str | None,
        gold: Executed | None,
        gold_error: str | None,
        dialect: str | None,
    ) -> EvalRecord:
        start = time.perf_counter()
        record: dict[str, Any] = {"id": case.id, "mode": mode, "question": case.question}
        asked = case.question
        if mode == "voice":
            if self.speech is None:  # run_suite refuses voice mode without speech engines
                raise RunError("Voice mode needs the speech engines.")
            transcript, tts_ms, stt_ms = await self.speech.round_trip(case.question)
            record |= {
                "transcript": transcript,
                "wer": word_error_rate(case.question, transcript),
                "tts_ms": tts_ms,
                "stt_ms": stt_ms,
            }
            asked = transcript
        sent = question_text(case, asked)
        turn = await self.agent.ask(
            question=sent, conversation_id=f"eval-{self.run_id}-{case.id}-{mode}", connection=db
        )
        sql_runs = [dict(r) for r in turn.sql_runs]
        codes = [r.get("error_code") for r in sql_runs]
        tokens = turn.tokens or {}
        timings = turn.timings or {}
        pred_sql = predicted_sql(sql_runs)
        record |= {
            "sent_question": sent,
            "tags": list(case.tags),
            "difficulty": case.difficulty,
            "dialect": dialect,
            "gold_sql": gold.sql if gold else None,
            "pred_sql": pred_sql,
            "answer": turn.answer,
            "error_code": turn.error_code,
            "sql_runs": len(sql_runs),
            "sql_trace": [{"sql": r.get("statement"), "error_code": r.get("error_code")} for r in sql_runs],
            "sql_attempts": turn.sql_attempts,
            "sql_retries": max(0, turn.sql_attempts - 1),
            "sql_errors": sum(1 for c in codes if c),
            "unsafe_rejections": sum(1 for c in codes if c == "unsafe_query"),
            "steps": turn.steps,
            "tool_calls": turn.tool_calls,
            "tokens_in": tokens.get("input"),
            "tokens_out": tokens.get("output"),
            "latency_ms": timings.get("total_ms"),
            "llm_ms": timings.get("llm_total_ms"),
            "sql_ms": timings.get("sql_ms"),
        }
        record |= await asyncio.to_thread(
            self._score, gold, gold_error, pred_sql, db, dialect, turn.error_code, sql_runs
        )
        record["eval_ms"] = ms_since(start)
        return EvalRecord.model_validate(record)

    def _score(
        self,
        gold: Executed | None,
        gold_error: str | None,
        pred_sql: str | None,
        db: str | None,
        dialect: str | None,
        turn_error: str | None,
        sql_runs: list[dict[str, Any]],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": False, "match": None, "ordered": None, "truncated": False}
        if gold is not None and gold.ok:
            out |= {"gold_rows": len(gold.rows), "gold_preview": gold.preview(), "truncated": gold.truncated}
        if pred_sql is not None:
            pred = execute_sql(self.ctx, pred_sql, db)
            out["valid"] = pred.ok
            if pred.ok:
                out |= {"pred_rows": len(pred.rows), "pred_preview": pred.preview()}
                out["truncated"] = out["truncated"] or pred.truncated
            else:
                out["pred_error"] = f"{pred.error_code}: {pred.error_message}"
        if gold is None or gold_error is not None:
            return out | {"match": None, "outcome": "gold_error", "reason": "gold_error", "gold_error": gold_error}
        if pred_sql is None:
            kind = _failure_kind(turn_error, sql_runs)
            return out | {"match": False, "outcome": kind, "reason": kind}
        if not out["valid"]:
            return out | {"match": False, "outcome": "pred_error", "reason": "pred_error"}
        comparison = compare_executed(gold, pred, dialect or "")
        outcome = "correct" if comparison.match else f"wrong_{comparison.reason}"
        return out | {
            "match": comparison.match,
            "ordered": comparison.ordered,
            "reason": comparison.reason,
            "outcome": outcome,
        }

    async def _case(self, case: EvalCase, modes: list[str], semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            db = self.config.db or case.db
            gold, gold_error, dialect, label = await self._gold(case, db)
            for mode in modes:
                try:
                    record = await self._answer(case, mode, db, gold, gold_error, dialect)
                except SpeechError as error:  # TTS/STT failed for this clip: record it, go on with the run
                    record = self._failed(case, mode, f"speech_{error.code}", error.message)
                except Exception as error:  # a bug must not end a long run: log it, record it, go on
                    log.exception("eval case %s (%s) failed", case.id, mode)
                    record = self._failed(case, mode, "internal_error", f"{type(error).__name__}: {error}")
                self._write(record.model_copy(update={"db": label}))

    def _failed(self, case: EvalCase, mode: str, outcome: str, message: str) -> EvalRecord:
        """The record of a case that could not be asked (scored as wrong, like any failed turn)."""
        return EvalRecord.model_validate(
            {
                "id": case.id,
                "mode": mode,
                "question": case.question,
                "tags": list(case.tags),
                "difficulty": case.difficulty,
                "match": False,
                "valid": False,
                "outcome": outcome,
                "reason": outcome,
                "error_code": outcome,
                "detail": message,
            }
        )

    async def run(self, todo: list[tuple[EvalCase, list[str]]]) -> None:
        semaphore = asyncio.Semaphore(max(1, self.config.concurrency))
        await asyncio.gather(*(self._case(case, modes, semaphore) for case, modes in todo))


def build_eval_agent(spec: str | None, agents: AgentFactory, tool_ctx: ToolContext | None = None) -> tuple[str, Agent]:
    """The real agent on ``spec`` or the configured/detected default model, with in-memory conversations.
    ``RunError`` with pt-BR + English guidance when no model can be loaded."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.llm.base import LLMError
    from agent.llm.registry import CONFIGURE_MODEL_MESSAGE

    chosen = spec or agents.default_model()
    if not chosen:
        raise RunError(
            CONFIGURE_MODEL_MESSAGE + "\nNo LLM configured: pass --model provider/model "
            "(e.g. --model openai/gpt-4.1-mini) or set VOZBD_MODEL."
        )
    try:
        # No memory: verified examples may hold the suite's own gold SQL (vozbd examples import --suite).
        agent = agents.build(chosen, checkpointer=InMemorySaver(), speech=False, use_memory=False, tool_ctx=tool_ctx)
    except LLMError as error:
        raise RunError(f"{error.message}\nModel '{chosen}' cannot be used ({error.code}).") from None
    return chosen, agent


def run_suite(
    config: RunConfig,
    agents: AgentFactory,
    *,
    speech: SpeechEngines | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[EvalRecord], None] | None = None,
) -> RunOutcome:
    """Run (or resume) a suite with agents from ``agents`` (and ``speech`` for ``config.voice``); returns every
    record of the run folder (old and new)."""
    suite = load_suite(config.suite_path)
    cases = suite.select(tags=list(config.tags) or None, limit=config.limit)
    urls = {db for db in (config.db, *(case.db for case in cases)) if db and "://" in db}
    tool_ctx = dataclasses.replace(agents.tool_ctx, operator_urls=tuple(sorted(urls)))  # the suite's own URLs
    model_name, agent = build_eval_agent(config.model, agents, tool_ctx)
    meta: dict[str, Any] = {
        "suite": str(suite.path),
        "suite_name": suite.name,
        "model": model_name,
        "db": config.db,
        "tags": list(config.tags),
        "limit": config.limit,
        "voice": config.voice,
        "concurrency": config.concurrency,
        "max_rows": config.max_rows,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if config.voice and speech is None:
        raise RunError("Voice mode needs the speech engines (none were given).")
    try:
        round_trip = SpeechRoundTrip(speech) if config.voice and speech is not None else None
    except SpeechError as error:  # e.g. models not installed: say what to run
        raise RunError(f"{error.message}\nVoice mode needs the speech engines ({error.code}).") from None
    existing = prepare_out_dir(config.out_dir, meta, resume=config.resume)
    done = {(r.id, r.mode) for r in existing}
    modes = ["text", "voice"] if config.voice else ["text"]
    todo = [(c, [m for m in modes if (c.id, m) not in done]) for c in cases]
    todo = [(c, m) for c, m in todo if m]
    if on_start is not None:
        on_start(sum(len(m) for _, m in todo))

    new_records: list[EvalRecord] = []

    def collect(record: EvalRecord) -> None:
        new_records.append(record)
        if on_done is not None:
            on_done(record)

    runner = Runner(config, suite, agent, tool_ctx, speech=round_trip, on_done=collect)
    start = time.perf_counter()
    try:
        asyncio.run(runner.run(todo))
    finally:
        runner.close()
    wall_s = time.perf_counter() - start
    meta["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta["last_wall_s"] = round(wall_s, 3)
    (config.out_dir / RUN_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    selected = {c.id for c in cases}
    records = [r for r in load_records(config.out_dir / RESULTS_FILE) if r.id in selected]
    return RunOutcome(config.out_dir, records, skipped=len(existing), new=len(new_records), wall_s=wall_s, meta=meta)


__all__ = ["EvalRecord", "RunConfig", "RunError", "RunOutcome", "predicted_sql", "question_text", "run_suite"]
