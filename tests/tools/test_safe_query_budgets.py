"""Byte and time budgets: each denial-of-service case ends within timeout + 2 s and under 300 MB RSS.

Every case runs in a fresh subprocess (its peak RSS is its own); the child prints elapsed seconds, peak RSS and the
outcome as JSON. Cases go through ``run_query`` (the product path) unless marked ``bypass`` (straight to the
pinned executor, as if the validator had let the statement through).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import URL

pytestmark = pytest.mark.slow  # one subprocess per case (~1 min in all)

TIMEOUT_S = 1.0
RSS_LIMIT_MB = 300
ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from cryptography.fernet import Fernet
    from sqlalchemy import create_engine
    from tools.context import QueryLimits, ToolContext
    from tools.db.connect import get_engine, resolve_connection
    from tools.db.registry import ConnectionRegistry
    from tools.safe_query import RunQueryInput, run_query
    from tools.safe_query.execute import execute_readonly

    url, sql, mode, timeout_s, tmp = sys.argv[1:6]
    registry = ConnectionRegistry(tmp + "/registry.sqlite3", secret_key=Fernet.generate_key().decode())
    ctx = ToolContext(registry=registry, query_limits=QueryLimits(max_rows=1000, timeout_s=float(timeout_s)),
                      allow_privileged=True,
                      default_connection=url)
    start = time.monotonic()
    try:
        if mode == "bypass":
            conn = resolve_connection(ctx, None)
            raw = execute_readonly(get_engine(ctx, conn), conn.dialect, sql, 1000, float(timeout_s))
            outcome = f"rows={len(raw.rows)} truncated={raw.truncated} cut={raw.cells_cut}"
        else:
            result = run_query(RunQueryInput(sql=sql), ctx)
            outcome = f"rows={result.row_count} truncated={result.truncated} cut={result.cells_cut}"
    except Exception as error:
        outcome = f"{type(error).__name__}: {getattr(error, 'code', '')}"
    elapsed = time.monotonic() - start
    # VmHWM: this process's own peak RSS (ru_maxrss would include the parent's RSS inherited at fork).
    status = open("/proc/self/status").read()
    rss_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"elapsed": elapsed, "rss_mb": rss_mb, "outcome": outcome}))
    """
)

CASES = [
    # (id, dialect, mode, sql)
    ("pg-limit-all", "postgres", "run", "SELECT generate_series(1, 100000000) AS g LIMIT ALL"),
    ("pg-limit-null", "postgres", "run", "SELECT generate_series(1, 100000000) AS g LIMIT NULL"),
    ("pg-wide-rows", "postgres", "run", "SELECT repeat('x', 100000) AS big, g FROM generate_series(1, 100000) g"),
    ("pg-repeat-huge", "postgres", "run", "SELECT repeat('x', 400000000)"),
    ("pg-sleep-bypass", "postgres", "bypass", "SELECT pg_sleep(30)"),
    ("pg-cpu", "postgres", "run", "SELECT count(*) FROM generate_series(1, 100000000) a"),
    ("my-no-limit", "mysql", "run", "SELECT seq FROM seq_1_to_100000000"),
    ("my-wide-rows", "mysql", "run", "SELECT repeat('x', 100000) AS big, seq FROM seq_1_to_100000"),
    ("my-sleep-bypass", "mysql", "bypass", "SELECT sleep(30)"),
    ("my-benchmark-bypass", "mysql", "bypass", "SELECT benchmark(100000000000, md5('x'))"),
    ("lite-zeroblob-bypass", "sqlite", "bypass", "SELECT length(zeroblob(2000000000))"),
    ("lite-printf", "sqlite", "run", "SELECT printf('%.*c', 400000000, 'x')"),
    (
        "lite-recursive-cpu",
        "sqlite",
        "run",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    ),
    (
        "lite-limit-all-expr",
        "sqlite",
        "run",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT -1",
    ),
]


@pytest.fixture(scope="module")
def urls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path: Path = request.getfixturevalue("demo_sqlite")
    return {
        "sqlite": URL.create("sqlite", database=str(path)).render_as_string(hide_password=False),
        "postgres": request.getfixturevalue("demo_pg_url"),
        "mysql": request.getfixturevalue("demo_mysql_url"),
    }


@pytest.mark.parametrize(("case_id", "dialect", "mode", "sql"), CASES, ids=[case[0] for case in CASES])
def test_dos_case_stays_within_time_and_memory(
    case_id: str, dialect: str, mode: str, sql: str, urls: dict[str, str], tmp_path: Path
) -> None:
    args = [sys.executable, "-c", CHILD, urls[dialect], sql, mode, str(TIMEOUT_S), str(tmp_path)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(case_id, report)
    assert report["elapsed"] <= TIMEOUT_S + 2, report
    assert report["rss_mb"] < RSS_LIMIT_MB, report
