"""Class 4 of the red-team corpus: resource attacks must finish within timeout + 2 s and under 300 MB RSS.

Each case runs in a forked child of a separate probe process (probe.py) so that its wall time and peak RSS are
its own. Modes: superuser (validator alone) and bypass (no validator: the pinned session and the byte/time
budgets alone).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools.security.conftest import world_for
from tests.tools.security.corpus import CORPUS_DIR, Case, load, params
from tests.tools.security.harness import Observation, record
from tests.tools.security.targets import Target

pytestmark = pytest.mark.slow

TIMEOUT_S = 2.0
SLACK_S = 2.0
MAX_RSS_MB = 300.0
MODES = ("superuser", "bypass")
CASES = [case for case in load() if case.klass == 4 and "pdf" not in case.dialects]
PDF_CASES = [case for case in load() if case.klass == 4 and "pdf" in case.dialects]
ROOT = Path(__file__).resolve().parents[3]
ONLY = os.environ.get("VOZBD_RT_ONLY", "")
"""A regex of case ids: measure only those (e.g. ``VOZBD_RT_ONLY='^heldout-' pytest ... -k heldout``)."""


def _raw_cases() -> dict[str, dict[str, Any]]:
    raw: dict[str, dict[str, Any]] = {}
    for path in sorted(CORPUS_DIR.glob("class4*.yaml")):
        raw |= {case["id"]: case for case in yaml.safe_load(path.read_text(encoding="utf-8"))}
    return raw


def _probe(dialect: str, request: pytest.FixtureRequest) -> dict[tuple[str, str], dict[str, Any]]:
    raw = _raw_cases()
    if dialect == "pdf":
        target = Target("pdf", "", "", {}, ())
        jobs = [{"case": raw[case.id], "mode": "read_pdf"} for case in PDF_CASES]
    else:
        target = world_for(request, dialect).target
        jobs = [{"case": raw[case.id], "mode": mode} for case in CASES if dialect in case.dialects for mode in MODES]
    if ONLY:  # re-measure a few cases without paying for the whole dialect (the probe runs every job it is given)
        jobs = [job for job in jobs if re.search(ONLY, job["case"]["id"])]
    payload = {
        "target": {
            "dialect": target.dialect,
            "admin_url": target.admin_url,
            "readonly_url": target.readonly_url,
            "values": target.values,
            "secrets": list(target.secrets),
        },
        "timeout_s": TIMEOUT_S,
        "max_rows": 50,
        "jobs": jobs,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.tools.security.probe"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60 + len(jobs) * (TIMEOUT_S + 25),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {(result["id"], result["mode"]): result for result in results}


class _Measured(dict[str, dict[tuple[str, str], dict[str, Any]]]):
    """Probe results per dialect, measured on first use (one probe process per dialect)."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        super().__init__()
        self.request = request

    def __missing__(self, dialect: str) -> dict[tuple[str, str], dict[str, Any]]:
        self[dialect] = _probe(dialect, self.request)
        return self[dialect]


@pytest.fixture(scope="module")
def measured(request: pytest.FixtureRequest) -> _Measured:
    return _Measured(request)


@pytest.mark.parametrize(("case", "dialect", "mode"), params(CASES, MODES) + params(PDF_CASES, ("read_pdf",)))
def test_resource_attack_is_bounded(case: Case, dialect: str, mode: str, measured: dict[str, Any]) -> None:
    if ONLY and not re.search(ONLY, case.id):
        pytest.skip(f"not measured: VOZBD_RT_ONLY={ONLY!r}")
    result = measured[dialect][(case.id, mode)]
    in_time = result.get("elapsed_s", 1e9) <= TIMEOUT_S + SLACK_S
    in_memory = result["max_rss_mb"] < MAX_RSS_MB
    ok = in_time and in_memory and result["outcome"] in case.expected(mode, dialect)
    cost = f"{result.get('elapsed_s', -1):.2f} s, {result['max_rss_mb']} MB"
    summary = f"{result['outcome']} in {cost}: {result['detail']}"
    over = None if in_time and in_memory else "unbounded-memory" if in_time else "unbounded-time"
    record(case, dialect, mode, Observation(result["outcome"], summary), over, ok)
    assert result["outcome"] in case.expected(mode, dialect), summary
    assert result["elapsed_s"] <= TIMEOUT_S + SLACK_S, summary
    assert result["max_rss_mb"] < MAX_RSS_MB, summary
