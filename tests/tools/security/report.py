"""Counts of the red-team corpus for the README and the closing note.

python -m tests.tools.security.report            # cases, runs per class/dialect/mode, expected outcomes, open holes
python -m tests.tools.security.report rec.jsonl  # the same plus what a recorded run observed (VOZBD_RT_RECORD)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from tests.tools.security.corpus import MODES, OUTCOMES, TARGETS, Case, load

CLASS_NAMES = {
    1: "privileges / deny-list escapes",
    2: "string syntax, SHOW, stacking",
    3: "connection URLs",
    4: "resources",
}
RESOURCE_MODES = ("superuser", "bypass")  # class 4 runs in these (test_redteam_resources.py)


def runs(case: Case) -> list[tuple[str, str]]:
    """The (dialect, mode) pairs a case is tested in."""
    if "pdf" in case.dialects:
        return [("pdf", "read_pdf")]
    modes = (case.via,) if case.klass == 3 else RESOURCE_MODES if case.klass == 4 else MODES
    return [(dialect, str(mode)) for dialect in case.dialects for mode in modes]


def _table(title: str, header: list[str], rows: list[list[object]]) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render(cases: list[Case], record: Path | None = None) -> str:
    out = [f"{len(cases)} cases, {sum(len(runs(c)) for c in cases)} runs (case x dialect x mode).\n"]
    rows = []
    for klass, name in CLASS_NAMES.items():
        of_class = [c for c in cases if c.klass == klass]
        per_dialect = [sum(d in c.dialects for c in of_class) for d in TARGETS]
        rows.append([f"{klass} {name}", len(of_class), *per_dialect, sum(len(runs(c)) for c in of_class)])
    out.append(_table("Cases per class and dialect", ["class", "cases", *TARGETS, "runs"], rows))
    expected: Counter[tuple[str, str]] = Counter()
    holes: Counter[tuple[int, str]] = Counter()
    for case in cases:
        for dialect, mode in runs(case):
            expected[(mode, " or ".join(case.expected(mode, dialect)))] += 1
            if case.hole(mode, dialect):
                holes[(case.klass, dialect)] += 1
    rows = [[mode, outcome, n] for (mode, outcome), n in sorted(expected.items())]
    out.append(_table("Expected outcome per mode (runs)", ["mode", "expected outcome", "runs"], rows))
    rows = [[k, *[holes[(k, d)] for d in TARGETS], sum(holes[(k, d)] for d in TARGETS)] for k in CLASS_NAMES]
    out.append(
        _table('Open holes (xfail; "flaky:" ones non-strict) per class and dialect', ["class", *TARGETS, "total"], rows)
    )
    if record is not None:
        observed: Counter[tuple[str, str, bool]] = Counter()
        for raw in record.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            outcome = line["outcome"] if line["outcome"] in OUTCOMES else f"{line['outcome']} (fail)"
            observed[(line["mode"], outcome, line["ok"])] += 1
        rows = [[mode, outcome, "yes" if ok else "no", n] for (mode, outcome, ok), n in sorted(observed.items())]
        out.append(_table(f"Observed in {record.name}", ["mode", "observed outcome", "as expected", "runs"], rows))
    return "\n".join(out)


if __name__ == "__main__":
    print(render(load(), Path(sys.argv[1]) if len(sys.argv) > 1 else None))
