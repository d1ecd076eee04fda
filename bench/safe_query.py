"""Benchmark safe-query: validation time per statement and the overhead of the safe path on the demo SQLite.

Run: ``.venv/bin/python bench/safe_query.py [--repeat 20]``. Goal: validation p50 <= 1 ms.
Validation is timed over every (query, dialect) pair of ``tests/tools/corpora/legit.yaml``; the overhead compares
``run_query`` (validate + cap + re-check + read-only session + JSON-safe rows) with a raw SQLAlchemy execute of
the same SELECT on the same demo SQLite file.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from tools.context import ToolContext
from tools.db.connect import dispose_engines
from tools.db.demo import demo_db_path
from tools.db.registry import ConnectionRegistry
from tools.safe_query import RunQueryInput, run_query, validate
from vozbd_core.stats import percentile

LEGIT = Path(__file__).resolve().parent.parent / "tests" / "tools" / "corpora" / "legit.yaml"
OVERHEAD_QUERIES = (
    "SELECT COUNT(*) FROM clientes",
    "SELECT uf, COUNT(*) AS n FROM clientes GROUP BY uf ORDER BY n DESC",
    "SELECT c.nome, SUM(p.valor_total) AS total FROM pedidos p JOIN clientes c ON c.id = p.cliente_id "
    "GROUP BY c.nome ORDER BY total DESC LIMIT 10",
    "SELECT id, valor_total, SUM(valor_total) OVER (ORDER BY id) AS acumulado FROM pedidos ORDER BY id LIMIT 100",
)


def bench_validation(repeat: int) -> None:
    cases = yaml.safe_load(LEGIT.read_text(encoding="utf-8"))
    pairs = [
        (case["sql"], dialect)
        for case in cases
        for dialect in (("sqlite", "postgres", "mysql") if case["dialects"] == "all" else case["dialects"])
    ]
    for sql, dialect in pairs:  # warm-up (sqlglot builds its tables lazily)
        validate(sql, dialect)
    per_statement: list[float] = []
    for sql, dialect in pairs:
        start = time.perf_counter()
        for _ in range(repeat):
            validate(sql, dialect)
        per_statement.append((time.perf_counter() - start) / repeat * 1000)
    print(f"validation over {len(pairs)} legit (query, dialect) pairs x {repeat}:")
    print(
        f"  p50 {statistics.median(per_statement):.3f} ms   p99 {percentile(per_statement, 99) or 0:.3f} ms   "
        f"max {max(per_statement):.3f} ms   (goal p50 <= 1 ms)"
    )


def bench_overhead(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = ToolContext(
            registry=ConnectionRegistry(Path(tmp) / "r.sqlite3", secret_key=Fernet.generate_key().decode())
        )
        raw_engine = create_engine(f"sqlite:///file:{demo_db_path()}?mode=ro&uri=true")
        print(f"safe path vs raw SQLAlchemy on the demo SQLite (median of {repeat} runs):")
        try:
            for sql in OVERHEAD_QUERIES:
                raw_times, safe_times = [], []
                for _ in range(repeat):
                    start = time.perf_counter()
                    with raw_engine.connect() as db:
                        db.execute(text(sql)).fetchall()
                    raw_times.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    run_query(RunQueryInput(sql=sql), ctx)
                    safe_times.append(time.perf_counter() - start)
                raw, safe = statistics.median(raw_times) * 1000, statistics.median(safe_times) * 1000
                print(f"  raw {raw:7.3f} ms  safe {safe:7.3f} ms  ratio {safe / raw:5.2f}x  {sql[:60]}")
        finally:
            raw_engine.dispose()
            dispose_engines(ctx)


def report_allowlist() -> None:
    from tools.safe_query.allowlist import NODE_KINDS, TYPED_FUNCTIONS, allowlist_sizes

    sizes = ", ".join(f"{dialect} {size}" for dialect, size in allowlist_sizes().items())
    print(f"function allowlist per dialect ({len(TYPED_FUNCTIONS)} typed + untyped names): {sizes}")
    print(f"node-kind allowlist: {len(NODE_KINDS)} kinds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    report_allowlist()
    bench_validation(args.repeat)
    bench_overhead(args.repeat)


if __name__ == "__main__":
    main()
