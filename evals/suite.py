"""Eval suites as data files: the models, the loader and its validation.

A suite is a YAML file (a mapping with suite-level defaults and a ``cases`` list) or a JSONL file
(one case per line; suite-level defaults may be given on a first line holding ``{"suite": {...}}``).

Case fields: ``id``, ``question`` (pt-BR), optional ``question_en``, ``gold_sql`` (a string, or a mapping of
sqlglot dialect name → SQL with an optional ``default`` key), ``db`` (a saved connection name, a SQLAlchemy URL,
or a SQLite file path relative to the suite file; defaults to the suite's ``db``), optional ``tags``
(a difficulty — easy/medium/hard/extra — and topics), optional ``reference_date`` (defaults to the suite's)
and optional ``evidence`` (a hint given to the model along with the question, as in BIRD).

Every problem is reported with its place (``file:line`` and case id) in one :class:`SuiteError`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DIFFICULTIES = ("easy", "medium", "hard", "extra")
DIALECTS = ("sqlite", "postgres", "mysql", "oracle", "tsql", "default")
_SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


class SuiteError(Exception):
    """A suite file is missing, unreadable or holds invalid cases; ``problems`` lists each with its place."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1)
    question_en: str | None = None
    gold_sql: str | dict[str, str]
    db: str | None = None
    tags: tuple[str, ...] = ()
    reference_date: dt.date | None = None
    evidence: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("question", "id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("gold_sql")
    @classmethod
    def _gold_not_blank(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("must not be blank")
            return value.strip()
        if not value:
            raise ValueError("needs at least one dialect")
        unknown = sorted(set(value) - set(DIALECTS))
        if unknown:
            raise ValueError(f"unknown dialect key(s) {unknown}; use {list(DIALECTS)}")
        if any(not sql.strip() for sql in value.values()):
            raise ValueError("a dialect's SQL is blank")
        return {k: v.strip() for k, v in value.items()}

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @field_validator("tags")
    @classmethod
    def _one_difficulty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        difficulties = [t for t in value if t in DIFFICULTIES]
        if len(difficulties) > 1:
            raise ValueError(f"more than one difficulty tag: {difficulties}")
        return value

    @property
    def difficulty(self) -> str | None:
        return next((t for t in self.tags if t in DIFFICULTIES), None)

    def gold_for(self, dialect: str) -> str:
        """The gold SQL for a sqlglot dialect name (a per-dialect variant, else ``default``, else the string)."""
        if isinstance(self.gold_sql, str):
            return self.gold_sql
        sql = self.gold_sql.get(dialect) or self.gold_sql.get("default")
        if sql is None:
            raise KeyError(f"case {self.id!r} has no gold SQL for dialect {dialect!r} (nor a 'default')")
        return sql


class SuiteDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    db: str | None = None
    reference_date: dt.date | None = None


class Suite(BaseModel):
    """A loaded suite: cases with ``db`` and ``reference_date`` already filled from the suite defaults."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: Path
    description: str | None = None
    db: str | None = None
    reference_date: dt.date | None = None
    cases: tuple[EvalCase, ...]

    def select(self, *, tags: list[str] | None = None, limit: int | None = None) -> list[EvalCase]:
        """Cases having any of ``tags`` (all when empty), in file order, at most ``limit``."""
        chosen = [c for c in self.cases if not tags or set(tags) & set(c.tags)]
        return chosen[:limit] if limit is not None else chosen

    def tag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for case in self.cases:
            for tag in case.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def resolve_db(db: str, base_dir: Path) -> str:
    """A connection name or URL passes through; a SQLite file path becomes an absolute ``sqlite:///`` URL."""
    if "://" in db:
        return db
    if db.endswith(_SQLITE_SUFFIXES) or "/" in db or "\\" in db:
        path = Path(db).expanduser()
        if not path.is_absolute():
            path = (base_dir / path).resolve()
        return f"sqlite:///{path}"
    return db


def _format_error(error: Mapping[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ())) or "case"
    return f"{where}: {error.get('msg', 'invalid')}"


def _yaml_rows(path: Path, text: str) -> tuple[dict[str, Any], list[tuple[int, Any]]]:
    """Suite-level mapping (without ``cases``) and ``(line, raw case)`` pairs from a YAML text."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SuiteError(path, [f"{path.name}{line}: not valid YAML ({getattr(error, 'problem', error)})"]) from None
    if isinstance(data, list):  # a bare list of cases
        data, cases_node = {"cases": data}, node
    elif isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        cases_node = next((v for k, v in node.value if k.value == "cases"), None)
    else:
        raise SuiteError(path, [f"{path.name}:1: a suite is a mapping with a 'cases' list (or a list of cases)"])
    raw_cases = data.pop("cases", None)
    if not isinstance(raw_cases, list) or not isinstance(cases_node, yaml.SequenceNode):
        raise SuiteError(path, [f"{path.name}: 'cases' must be a list of cases"])
    lines = [item.start_mark.line + 1 for item in cases_node.value]
    return data, list(zip(lines, raw_cases, strict=True))


def _jsonl_rows(path: Path, text: str) -> tuple[dict[str, Any], list[tuple[int, Any]], list[str]]:
    defaults: dict[str, Any] = {}
    rows: list[tuple[int, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path.name}:{number}: not valid JSON ({error.msg})")
            continue
        if isinstance(item, dict) and set(item) == {"suite"} and isinstance(item["suite"], dict):
            defaults = item["suite"]
        else:
            rows.append((number, item))
    return defaults, rows, problems


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file (``.yaml``/``.yml``/``.jsonl``); :class:`SuiteError` lists every problem."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise SuiteError(path, [f"{path}: file not found"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(path, [f"{path}: cannot read ({error})"]) from None
    problems: list[str] = []
    if path.suffix.lower() == ".jsonl":
        raw_defaults, rows, problems = _jsonl_rows(path, text)
    elif path.suffix.lower() in (".yaml", ".yml"):
        raw_defaults, rows = _yaml_rows(path, text)
    else:
        raise SuiteError(path, [f"{path.name}: unknown suite format (use .yaml, .yml or .jsonl)"])

    try:
        defaults = SuiteDefaults.model_validate(raw_defaults)
    except ValidationError as error:
        raise SuiteError(path, [f"{path.name}: suite {_format_error(e)}" for e in error.errors()]) from None

    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        label = f"{path.name}:{line}"
        if not isinstance(raw, dict):
            problems.append(f"{label}: a case must be a mapping, got {type(raw).__name__}")
            continue
        case_id = raw.get("id")
        if case_id is not None:
            label += f" (id {case_id})"
        try:
            case = EvalCase.model_validate(raw)
        except ValidationError as error:
            problems.extend(f"{label}: {_format_error(e)}" for e in error.errors())
            continue
        if case.id in seen:
            problems.append(f"{label}: duplicate id (first at line {seen[case.id]})")
            continue
        seen[case.id] = line
        db = case.db or defaults.db
        if db is None:
            problems.append(f"{label}: db: no database (set 'db' on the case or the suite)")
            continue
        cases.append(
            case.model_copy(
                update={
                    "db": resolve_db(db, path.parent),
                    "reference_date": case.reference_date or defaults.reference_date,
                }
            )
        )
    if not rows and not problems:
        problems.append(f"{path.name}: the suite has no cases")
    if problems:
        raise SuiteError(path, problems)
    return Suite(
        name=defaults.name or path.stem,
        path=path.resolve(),
        description=defaults.description,
        db=resolve_db(defaults.db, path.parent) if defaults.db else None,
        reference_date=defaults.reference_date,
        cases=tuple(cases),
    )
