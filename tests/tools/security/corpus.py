"""The red-team corpus (tests/tools/corpora/redteam/*.yaml): loading, defaults and expansion to test params.

A case::

    - id: pg-ts-stat-read-file          # unique over the whole corpus
      class: 1                          # 1 privileges/deny-list, 2 string syntax, 3 connection URLs, 4 resources
      dialects: [postgres]              # sqlite, postgres, mysql (MariaDB); "all" = the three
      effect: file-read                 # what the attack does when it works (see EFFECTS)
      sql: "SELECT ..."                 # {{placeholders}} are filled in by the harness (see harness.py);
                                        # {{N*text}} repeats text N times (deep nesting, long inputs)
      expect: refused-by-validator      # outcome(s) through run_query, superuser (opt-out) + read-only role
      readonly: refused-by-privileges   # optional: outcome for the read-only role when it differs
      bypass: refused-by-privileges     # optional: validator bypassed, read-only role; default from ``effect``
      check: no_file                    # optional side-effect oracle run after the case (harness.CHECKS)
      holes: {superuser/postgres: "…"}  # optional: known open holes -> xfail(strict=True)

Outcomes: ``refused-by-validator`` (UnsafeQueryError, or an input check for URLs), ``refused-by-privileges``
(the database refuses: grants, read-only transaction, mode=ro), ``limited`` (time or size budget stopped it,
or the result came back truncated) and ``allowed-harmless`` (ran; no secret in the output, oracle clean).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpora" / "redteam"
DIALECTS = ("sqlite", "postgres", "mysql")
TARGETS = (*DIALECTS, "pdf")  # "pdf": class-4 PDF bombs, no database
MODES = ("superuser", "readonly", "bypass")
VIAS = ("tool", "tool-schema", "operator")
OUTCOMES = ("refused-by-validator", "refused-by-privileges", "limited", "allowed-harmless")
EFFECTS = {
    # effect -> default outcome when the validator is bypassed on the read-only role
    "write": "refused-by-privileges",
    "file-read": "refused-by-privileges",
    "file-write": "refused-by-privileges",
    "catalog-read": "refused-by-privileges",
    "exec": "refused-by-privileges",
    "admin": "refused-by-privileges",
    "side-effect": "allowed-harmless",
    "dos": "limited",
    "harmless": "allowed-harmless",
}


@dataclass(frozen=True)
class Case:
    id: str
    klass: int
    dialects: tuple[str, ...]
    effect: str
    sql: str
    expect: tuple[str, ...]
    readonly: tuple[str, ...]
    bypass: tuple[str, ...]
    check: str | None = None
    refusal: str | None = None
    via: str | None = None
    """Class 3: ``tool`` / ``tool-schema`` (an untrusted tool input) or ``operator`` (``vozbd db add``)."""
    connection: str | None = None
    """Class 3: the connection URL or name given through ``via``."""
    """Extra regex of database messages that count as a refusal for this case (e.g. a protocol refusal)."""
    holes: dict[str, str] = field(default_factory=dict)
    note: str = ""
    source: str = ""

    def expected(self, mode: str, dialect: str | None = None) -> tuple[str, ...]:
        """The acceptable outcomes in ``mode`` (several when either safe behaviour is fine).

        MariaDB, validator bypassed: a statement without result columns (``KILL``, ``SET``, DDL) is refused by the
        session layer before it runs (``NotAQueryError``, counted as ``refused-by-validator``), whatever the
        database would have done with it."""
        outcomes = {"superuser": self.expect, "readonly": self.readonly, "bypass": self.bypass}.get(mode, self.expect)
        if mode == "bypass" and dialect == "mysql" and "refused-by-validator" not in outcomes:
            outcomes += ("refused-by-validator",)
        return outcomes

    def hole(self, mode: str, dialect: str) -> str | None:
        for key in (f"{mode}/{dialect}", mode, dialect, "*"):
            if key in self.holes:
                return self.holes[key]
        return None


_REPEAT = re.compile(r"\{\{(\d+)\*(.*?)\}\}", re.DOTALL)


def expand(sql: str) -> str:
    """``{{N*text}}`` -> ``text`` N times (deep nesting and long inputs without a 100 kB line in the YAML)."""
    return _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), sql)


def _outcomes(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _case(raw: dict[str, Any], source: str, holes: dict[str, dict[str, str]]) -> Case:
    dialects = raw["dialects"]
    dialects = DIALECTS if dialects == "all" else tuple(dialects)
    effect = raw["effect"]
    expect = _outcomes(raw.get("expect", "refused-by-validator"))
    bypass = _outcomes(raw.get("bypass", EFFECTS[effect]))
    if int(raw["class"]) == 4:  # judged on time and memory: any bounded outcome that leaks nothing passes
        bounded = ("limited", "allowed-harmless")
        expect += tuple(o for o in bounded if o not in expect)
        bypass += tuple(o for o in bounded if o not in bypass)
    if effect != "harmless":  # an attack the database refuses where running it would have been harmless: fine too
        bypass += (
            ("refused-by-privileges",) if "allowed-harmless" in bypass and "refused-by-privileges" not in bypass else ()
        )
    # the read-only role on the normal path: what the validator does, or failing that what the database does alone
    readonly = expect + tuple(o for o in bypass if o not in expect)
    return Case(
        id=raw["id"],
        klass=int(raw["class"]),
        dialects=dialects,
        effect=effect,
        sql=expand(raw.get("sql", "SELECT 1")),
        expect=expect,
        readonly=_outcomes(raw.get("readonly", readonly)),
        bypass=bypass,
        check=raw.get("check"),
        refusal=raw.get("refusal"),
        via=raw.get("via"),
        connection=raw.get("connection"),
        holes={**dict(raw.get("holes") or {}), **holes.get(raw["id"], {})},
        note=raw.get("note", ""),
        source=source,
    )


HOLES_FILE = CORPUS_DIR / "holes.yaml"


def load_holes() -> dict[str, dict[str, str]]:
    """``{case id: {"mode/dialect": reason}}``: the holes still open (see ``tests.tools.security.holes``)."""
    if not HOLES_FILE.exists():
        return {}
    return yaml.safe_load(HOLES_FILE.read_text(encoding="utf-8")) or {}


def load(pattern: str = "class*.yaml") -> list[Case]:
    holes = load_holes()
    cases: list[Case] = []
    for path in sorted(CORPUS_DIR.glob(pattern)):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(_case(raw, path.name, holes))
    return cases


def validate_corpus(cases: list[Case]) -> list[str]:
    """Problems in the corpus itself (duplicate ids, unknown values); empty when well formed."""
    problems: list[str] = []
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            problems.append(f"duplicate id {case.id}")
        seen.add(case.id)
        if case.klass not in (1, 2, 3, 4):
            problems.append(f"{case.id}: class {case.klass}")
        if not set(case.dialects) <= set(TARGETS):
            problems.append(f"{case.id}: dialects {case.dialects}")
        if (case.klass == 3) != (case.via in VIAS):
            problems.append(f"{case.id}: class 3 cases (only) need via in {VIAS}")
        if case.effect not in EFFECTS:
            problems.append(f"{case.id}: effect {case.effect}")
        for mode in MODES:
            if not set(case.expected(mode)) <= set(OUTCOMES):
                problems.append(f"{case.id}: {mode} outcome {case.expected(mode)}")
        for key in case.holes:
            parts = key.split("/")
            if not all(part in (*MODES, *VIAS, *TARGETS, "read_pdf", "*") for part in parts):
                problems.append(f"{case.id}: hole key {key}")
    return problems


def params(cases: list[Case], modes: tuple[str, ...] = MODES) -> list[Any]:
    """One pytest param per (case, dialect, mode); a known hole is an xfail(strict) so a fix forces a flip."""
    out = []
    for case in cases:
        for dialect in case.dialects:
            for mode in modes:
                hole = case.hole(mode, dialect)
                # a hole whose symptom varies run to run (peak RSS near the line) is "flaky: ...": non-strict
                strict = not hole.startswith("flaky") if hole else True
                marks = [pytest.mark.xfail(strict=strict, reason=f"hole: {hole}")] if hole else []
                out.append(pytest.param(case, dialect, mode, id=f"{case.id}-{dialect}-{mode}", marks=marks))
    return out
