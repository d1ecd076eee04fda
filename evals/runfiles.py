"""The files of a run folder: ``results.jsonl`` (one JSON object per scored question), ``run.json`` (what ran)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.records import EvalRecord

RESULTS_FILE = "results.jsonl"
RUN_FILE = "run.json"


class RunError(Exception):
    """The run cannot start (no model, bad output folder, ...); ``message`` says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def load_records(path: Path) -> list[EvalRecord]:
    """The valid records of a results file (a half-written last line from an interruption is dropped)."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(EvalRecord.model_validate_json(line))
        except ValidationError:
            continue
    return records


def ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def prepare_out_dir(out: Path, meta: dict[str, Any], *, resume: bool) -> list[EvalRecord]:
    """Create/validate the output folder; return the records already there (resume)."""
    results = out / RESULTS_FILE
    if out.exists() and not out.is_dir():
        raise RunError(f"--out {out} existe e não é uma pasta.")
    existing = load_records(results)
    if results.exists() and results.stat().st_size and not resume:
        raise RunError(f"{results} já existe: use --resume para continuar essa execução, ou outra pasta em --out.")
    run_file = out / RUN_FILE
    if resume and run_file.is_file():
        previous = json.loads(run_file.read_text(encoding="utf-8"))
        for key in ("suite", "model", "voice"):
            if previous.get(key) != meta.get(key):
                before, now = previous.get(key), meta.get(key)
                raise RunError(f"Não dá para retomar: a execução em {out} usou {key}={before!r}, agora {now!r}.")
        meta["started_at"] = previous.get("started_at", meta["started_at"])
    out.mkdir(parents=True, exist_ok=True)
    # Rewrite without a half-written last line so appends stay one JSON object per line.
    results.write_text("".join(r.to_json_line() for r in existing), "utf-8")
    run_file.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return existing
