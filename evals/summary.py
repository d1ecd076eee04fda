"""Aggregate ``results.jsonl`` records into ``summary.json`` numbers (pure; no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from evals.records import EvalRecord
from evals.suite import DIFFICULTIES
from vozbd_core import stats


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The ``q``-th percentile (0..100) rounded to milliseconds' precision; None when empty."""
    value = stats.percentile(values, q)
    return round(value, 3) if value is not None else None


def _mean(values: Iterable[float | None]) -> float | None:
    data = [v for v in values if v is not None]
    return round(sum(data) / len(data), 4) if data else None


def _ex(records: list[EvalRecord]) -> dict[str, Any]:
    scored = [r for r in records if r.match is not None]
    correct = sum(1 for r in scored if r.match)
    return {
        "n": len(scored),
        "correct": correct,
        "ex": round(correct / len(scored), 4) if scored else None,
    }


def _block(records: list[EvalRecord]) -> dict[str, Any]:
    latency = [r.latency_ms for r in records]
    llm = [r.llm_ms for r in records]
    scored = [r for r in records if r.match is not None]
    return _ex(records) | {
        "valid_rate": round(sum(1 for r in scored if r.valid) / len(scored), 4) if scored else None,
        "latency_ms": {"p50": percentile(latency, 50), "p95": percentile(latency, 95), "mean": _mean(latency)},
        "llm_ms": {"p50": percentile(llm, 50), "p95": percentile(llm, 95), "mean": _mean(llm)},
        "steps_mean": _mean(r.steps for r in records),
        "tool_calls_mean": _mean(r.tool_calls for r in records),
        "sql_retries_total": sum(r.sql_retries for r in records),
        "unsafe_rejections_total": sum(r.unsafe_rejections for r in records),
        "questions_with_unsafe_rejection": sum(1 for r in records if r.unsafe_rejections),
        "tokens_in_total": sum(r.tokens_in or 0 for r in records),
        "tokens_out_total": sum(r.tokens_out or 0 for r in records),
        "truncated": sum(1 for r in records if r.truncated),
    }


def summarize(records: list[EvalRecord], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Overall and per-tag EX, latency p50/p95, error breakdown; per input mode when the run used ``--voice``."""
    text = [r for r in records if r.mode == "text"]
    voice = [r for r in records if r.mode == "voice"]
    tags = sorted({t for r in text for t in r.tags}, key=lambda t: (t not in DIFFICULTIES, t))
    summary: dict[str, Any] = {
        "run": meta or {},
        "overall": _block(text),
        "by_tag": {tag: _ex([r for r in text if tag in r.tags]) for tag in tags},
        "by_difficulty": {
            d: _ex([r for r in text if r.difficulty == d]) for d in DIFFICULTIES if any(r.difficulty == d for r in text)
        },
        "outcomes": dict(Counter(r.outcome for r in text).most_common()),
        "turn_error_codes": dict(Counter(r.error_code for r in text if r.error_code).most_common()),
        "gold_errors": [r.id for r in text if r.outcome == "gold_error"],
    }
    if voice:
        summary["voice"] = _block(voice) | {
            "wer_mean": _mean(r.wer for r in voice),
            "wer_p95": percentile((r.wer for r in voice), 95),
            "tts_ms_p50": percentile((r.tts_ms for r in voice), 50),
            "stt_ms_p50": percentile((r.stt_ms for r in voice), 50),
            "outcomes": dict(Counter(r.outcome for r in voice).most_common()),
        }
        summary["text_vs_voice"] = {"text_ex": summary["overall"]["ex"], "voice_ex": summary["voice"]["ex"]}
    return summary


def worst_failures(records: list[EvalRecord], limit: int = 25) -> list[EvalRecord]:
    """Failed text-mode cases, easiest first (an easy question missed is the worst news), then by id."""
    rank = {d: i for i, d in enumerate(DIFFICULTIES)}
    failed = [r for r in records if r.mode == "text" and r.match is False]
    failed.sort(key=lambda r: (rank.get(r.difficulty or "", len(rank)), r.id))
    return failed[:limit]
