"""What the model sees, measured without an LLM: schema linking, value hints, prompt size and build time.

Run: ``.venv/bin/python bench/context.py [--budgets 1500,3000,6000] [--suite evals/suites/demo.yaml]``.

Three databases, one question set (the bundled pt-BR suite):
- ``demo``: the demo database (11 Portuguese-named tables);
- ``demo+erp``: the demo plus the 75 unrelated ERP tables of ``bench/data/erp_noise.sql`` (86 tables, a few
  rows each, some in the same cities as the demo's customers);
- ``english``: an English-named copy of the demo (``bench/data/demo_english.yaml``; same rows, pt-BR values),
  asked the same Portuguese questions.

For each budget: *table recall* = share of questions whose gold tables (from the gold SQL, via sqlglot) are
all in the prompt; *column recall* = share whose gold columns are all named in the prompt under their table
(with their type, in a pruned table's "colunas omitidas" line or in a one-line outline), *typed* = all shown
with their type, and the micro average of named columns;
*values visible* = share of questions naming a text value (``col = 'x'`` / ``IN (...)`` in the gold) whose
values all appear in the prompt (samples or ``tabela.coluna = 'valor'`` hints); prompt size; p50/p95 wall time
and p50 CPU time of one prompt build with warm schema cache and value index (wall time depends on the machine's
load; CPU time much less). Then few-shot retrieval, leave-one-out.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from cryptography.fernet import Fernet
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.suite import load_suite  # noqa: E402
from tools.context import ToolContext  # noqa: E402
from tools.db.connect import dispose_engines, resolve_connection  # noqa: E402
from tools.db.demo import demo_db_path  # noqa: E402
from tools.db.registry import ConnectionRegistry  # noqa: E402
from tools.memory import Example, select_examples, sql_skeleton  # noqa: E402
from tools.schema_inspect import InspectSchemaInput, inspect_schema  # noqa: E402
from tools.values import ensure_index  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?")
CITIES = ["São Paulo", "Campinas", "Curitiba", "Recife", "Salvador", "Porto Alegre", "Manaus", "Belo Horizonte"]
WORDS = ["alpha", "beta", "norte", "sul", "leste", "oeste", "central", "prime", "basic", "gold", "silver", "draft"]


@dataclass
class Gold:
    tables: set[str]
    columns: set[tuple[str, str]]
    values: set[tuple[str, str, str]]


def schema_of(path: Path) -> dict[str, dict[str, str]]:
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: {c[1]: c[2] or "TEXT" for c in db.execute(f'PRAGMA table_info("{t}")')} for t in names}


def gold_refs(sql: str, schema: dict[str, Any]) -> Gold:
    """Tables, (table, column) pairs and (table, column, text literal) comparisons of one gold query."""
    expression = qualify(sqlglot.parse_one(sql, read="sqlite"), schema=schema, dialect="sqlite")
    gold = Gold(set(), set(), set())
    for scope in traverse_scope(expression):
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                gold.tables.add(source.name.lower())
        for column in scope.columns:
            owner = scope.sources.get(column.table)
            if isinstance(owner, exp.Table):
                gold.columns.add((owner.name.lower(), column.name.lower()))
        for node in scope.expression.find_all(exp.EQ, exp.In):
            column = node.this if isinstance(node.this, exp.Column) else node.expression
            if not isinstance(column, exp.Column):
                continue
            owner = scope.sources.get(column.table)
            if not isinstance(owner, exp.Table):
                continue
            literals = node.expressions if isinstance(node, exp.In) else [node.expression, node.this]
            for literal in literals:
                if isinstance(literal, exp.Literal) and literal.is_string and not _DATE.match(literal.this):
                    gold.values.add((owner.name.lower(), column.name.lower(), literal.this))
    return gold


def shown(text: str) -> tuple[set[str], set[tuple[str, str]], set[tuple[str, str]]]:
    """Tables, (table, column) pairs named in a rendered prompt, and those shown with their type."""
    tables: set[str] = set()
    columns: set[tuple[str, str]] = set()
    typed: set[tuple[str, str]] = set()
    for block in text.split("\n\n"):
        lines = block.split("\n")
        compact = re.match(r"^(?:TABLE|VIEW) (\S+)(?: \(~\d+ linhas\))?: (.*)$", lines[0])
        if compact:  # one-line outline: "TABLE t (~N linhas): a PK, b -> u, c"
            table = compact.group(1).lower()
            tables.add(table)
            columns |= {(table, part.split()[0].lower()) for part in compact.group(2).split(", ") if part}
            continue
        head = next((i for i, line in enumerate(lines) if re.match(r"^(TABLE|VIEW) ", line)), None)
        if head is None:
            continue
        table = lines[head].split()[1].lower()
        tables.add(table)
        for line in lines[head + 1 :]:
            found = re.match(r"^  ([A-Za-z_][\w$]*) ", line)
            if found and found.group(1) not in ("PK", "FK", "FK?", "UNIQUE"):
                columns.add((table, found.group(1).lower()))
                typed.add((table, found.group(1).lower()))
            listed = re.match(r"^  -- \+\d+ colunas omitidas: (.*)$", line)
            if listed:  # pruned block: the other columns named on one line
                names = [n.strip().lower() for n in listed.group(1).split(",")]
                columns |= {(table, n) for n in names if not n.startswith("…")}
    return tables, columns, typed


def build_large(target: Path, seed: int = 16) -> None:
    shutil.copyfile(demo_db_path(), target)
    rng = random.Random(seed)
    with sqlite3.connect(target) as db:
        db.executescript((DATA / "erp_noise.sql").read_text(encoding="utf-8"))
        noise = [
            line.split()[2] for line in (DATA / "erp_noise.sql").read_text().splitlines() if line.startswith("CREATE")
        ]
        for table in noise:
            columns = [(c[1], (c[2] or "").upper(), c[5]) for c in db.execute(f'PRAGMA table_info("{table}")')]
            for row in range(1, 16):
                values = []
                for name, type_, pk in columns:
                    if pk:
                        values.append(row if type_ == "INTEGER" else f"k{row}")
                    elif type_ == "TEXT":
                        values.append(rng.choice(CITIES) if "city" in name else f"{rng.choice(WORDS)} {row}")
                    elif type_ == "DATE":
                        values.append(f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
                    else:
                        values.append(rng.randint(1, 15))
                marks = ", ".join("?" for _ in columns)
                db.execute(f'INSERT INTO "{table}" VALUES ({marks})', values)


@lru_cache(maxsize=1)
def english_map() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    data = yaml.safe_load((DATA / "demo_english.yaml").read_text(encoding="utf-8"))
    return {pt: v["name"] for pt, v in data.items()}, {pt: v.get("columns") or {} for pt, v in data.items()}


def build_english(target: Path) -> None:
    """Copy the demo with English table/column names (constraints kept: DDL rewritten with sqlglot)."""
    tables, columns = english_map()
    with sqlite3.connect(demo_db_path()) as source:
        ddl = [r[0] for r in source.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")]
    every_column = {old: new for per_table in columns.values() for old, new in per_table.items()}

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in tables:
            node.set("this", exp.to_identifier(tables[node.name]))
        elif isinstance(node, exp.Identifier) and node.name in every_column and not isinstance(node.parent, exp.Table):
            return exp.to_identifier(every_column[node.name])
        return node

    with sqlite3.connect(target) as db:
        for statement in ddl:
            db.execute(sqlglot.parse_one(statement, read="sqlite").transform(rename).sql("sqlite"))
        db.execute("ATTACH DATABASE ? AS src", (str(demo_db_path()),))
        for pt, en in tables.items():
            names = [c[1] for c in db.execute(f'PRAGMA src.table_info("{pt}")')]
            select = ", ".join(f'"{n}"' for n in names)
            targets = ", ".join(f'"{columns[pt].get(n, n)}"' for n in names)
            db.execute(f'INSERT INTO main."{en}" ({targets}) SELECT {select} FROM src."{pt}"')
        db.commit()
        db.execute("DETACH DATABASE src")


def translate(gold: Gold) -> Gold:
    tables, columns = english_map()
    return Gold(
        {tables.get(t, t) for t in gold.tables},
        {(tables.get(t, t), columns.get(t, {}).get(c, c)) for t, c in gold.columns},
        {(tables.get(t, t), columns.get(t, {}).get(c, c), v) for t, c, v in gold.values},
    )


def measure(ctx: ToolContext, url: str, cases: list[tuple[str, Gold]], budget: int) -> dict[str, float]:
    ctx.schema_prompt_budget = budget
    all_tables = all_columns = all_typed = col_hits = col_total = value_q = value_ok = 0
    sizes: list[int] = []
    times: list[float] = []
    cpu: list[float] = []
    for question, gold in cases:
        start, cpu_start = time.perf_counter(), time.process_time()
        text = inspect_schema(InspectSchemaInput(connection=url, question=question), ctx).compact
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        sizes.append(len(text))
        tables, columns, typed = shown(text)
        all_tables += gold.tables <= tables
        all_columns += gold.columns <= columns
        all_typed += gold.columns <= typed
        col_hits += len(gold.columns & columns)
        col_total += len(gold.columns)
        if gold.values:
            value_q += 1
            value_ok += all(v in text for _, _, v in gold.values)
    n = len(cases)
    return {
        "tables": all_tables / n,
        "columns": all_columns / n,
        "typed": all_typed / n,
        "columns_micro": col_hits / max(col_total, 1),
        "values": value_ok / max(value_q, 1),
        "value_questions": value_q,
        "chars": statistics.mean(sizes),
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": sorted(times)[int(0.95 * (n - 1))] * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
    }


def few_shot_loo(suite: object, k: int = 3) -> None:
    """Leave-one-out: each question retrieves ``k`` examples among the others; is one of the same skeleton?"""
    now = datetime.now(UTC)
    examples = [
        Example(i, "demo", c.question, c.gold_for("sqlite"), sql_skeleton(c.gold_for("sqlite"), "sqlite"), "suite", now)
        for i, c in enumerate(suite.cases)  # type: ignore[attr-defined]  # the evals Suite, typed as object so the bench imports evals lazily
    ]
    counts = Counter(e.skeleton for e in examples)
    hits = possible_hits = possible = 0
    times: list[float] = []
    for example in examples:
        others = [o for o in examples if o.id != example.id]
        start = time.perf_counter()
        chosen = select_examples(example.question, others, k)
        times.append(time.perf_counter() - start)
        hit = any(c.example.skeleton == example.skeleton for c in chosen)
        hits += hit
        if counts[example.skeleton] > 1:
            possible += 1
            possible_hits += hit
    n = len(examples)
    print(
        f"few-shot leave-one-out (top {k}): same skeleton retrieved for {hits / n:.3f} of {n} questions; "
        f"{possible_hits / max(possible, 1):.3f} of the {possible} that have a same-skeleton pair "
        f"({len(counts)} distinct skeletons); p50 selection {statistics.median(times) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", type=Path, default=ROOT / "evals" / "suites" / "demo.yaml")
    parser.add_argument("--budgets", default="1500,3000,6000")
    parser.add_argument("--no-dictionary", action="store_true", help="built-in lexicon only (no FreeDict)")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    suite = load_suite(args.suite)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        large, english = folder / "large.sqlite", folder / "english.sqlite"
        build_large(large)
        build_english(english)
        demo_schema = schema_of(demo_db_path())
        golds = [(case.question, gold_refs(case.gold_for("sqlite"), demo_schema)) for case in suite.cases]
        variants = [
            ("demo", demo_db_path(), golds),
            ("demo+erp", large, golds),
            ("english", english, [(q, translate(g)) for q, g in golds]),
        ]
        registry = ConnectionRegistry(folder / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
        ctx = ToolContext(registry=registry, schema_cache_ttl_s=3600)
        if args.no_dictionary:
            ctx.dictionary_dirs = ()
        print(f"suite: {suite.name}, {len(suite.cases)} questions; dictionary dirs: {list(ctx.dictionary_dirs)}")
        header = f"{'database':<10} {'tables':>6} {'budget':>6} {'tab.rec':>7} {'col.rec':>7} {'typed':>6} "
        header += f"{'col.micro':>9} "
        header += f"{'values':>11} {'chars':>6} {'p50 ms':>7} {'p95 ms':>7} {'cpu ms':>7}"
        print(header)
        try:
            for name, path, cases in variants:
                url = f"sqlite:///{path}"
                warm = inspect_schema(InspectSchemaInput(connection=url), ctx)
                start = time.perf_counter()
                index = ensure_index(ctx, resolve_connection(ctx, url), warm.tables, wait_s=120)
                index_ms = (time.perf_counter() - start) * 1000
                for budget in budgets:
                    m = measure(ctx, url, cases, budget)
                    values = f"{m['values']:.2f} ({m['value_questions']})"
                    print(
                        f"{name:<10} {len(warm.tables):>6} {budget:>6} {m['tables']:>7.3f} {m['columns']:>7.3f} "
                        f"{m['typed']:>6.3f} "
                        f"{m['columns_micro']:>9.3f} {values:>11} {m['chars']:>6.0f} {m['p50_ms']:>7.1f} "
                        f"{m['p95_ms']:>7.1f} {m['cpu_ms']:>7.1f}"
                    )
                size = len(index) if index is not None else 0
                print(f"{'':<10} value index: {size} values, built in {index_ms:.0f} ms")
        finally:
            dispose_engines(ctx)
    few_shot_loo(suite)


if __name__ == "__main__":
    main()
