"""Turn a Spider or BIRD benchmark folder into a vozbd suite file.

Spider: ``DIR/<split>.json`` (``train`` also finds ``train_spider.json``) with ``db_id``/``question``/``query``,
``DIR/tables.json`` and ``DIR/database/<db_id>/<db_id>.sqlite``.
BIRD: ``DIR/<split>.json`` with ``question_id``/``db_id``/``question``/``evidence``/``SQL``/``difficulty``,
``DIR/<split>_tables.json`` and ``DIR/<split>_databases/<db_id>/<db_id>.sqlite``.
A translated question file (``--questions dev_pt.json``) has the same list shape and order; its translated
question replaces the original, which is kept as ``question_en``. The translated text is read from
``--question-field`` when given, else from the first of ``TRANSLATED_FIELDS`` present (``question_pt``,
``question_pt_br``, ... then ``question``); a questions file that carries such a field itself needs no
``--questions``. Writing 0 questions is an error.
Database paths in the written suite are relative to the suite file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BIRD_DIFFICULTY = {"simple": "easy", "moderate": "medium", "challenging": "hard"}
TRANSLATED_FIELDS = (
    "question_pt",
    "question_pt_br",
    "question_ptbr",
    "question_br",
    "pt_question",
    "question_portuguese",
    "question_translated",
    "translated_question",
    "translation",
)


class ImportError_(Exception):
    """The benchmark folder is missing files or holds data we cannot read."""


@dataclass
class ImportReport:
    suite_path: Path
    flavor: str
    written: int = 0
    skipped: list[str] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportError_(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportError_(f"{path}: cannot read JSON ({error})") from None


def _questions_file(root: Path, split: str) -> Path:
    candidates = [root / f"{split}.json"]
    if split == "train":
        candidates.append(root / "train_spider.json")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ImportError_(f"{candidates[0]}: file not found (is {root} a Spider/BIRD folder?)")


def _known_dbs(root: Path, split: str, flavor: str) -> set[str] | None:
    names = [f"{split}_tables.json", "tables.json"] if flavor == "bird" else ["tables.json"]
    for name in names:
        path = root / name
        if path.is_file():
            return {str(t.get("db_id")) for t in _read_json(path) if isinstance(t, dict)}
    return None


def _db_file(root: Path, split: str, flavor: str, db_id: str) -> Path:
    folders = [f"{split}_databases", "databases", "database"] if flavor == "bird" else ["database"]
    for folder in folders:
        path = root / folder / db_id / f"{db_id}.sqlite"
        if path.is_file():
            return path
    return root / folders[0] / db_id / f"{db_id}.sqlite"


def _translated(row: object, field_name: str | None) -> object:
    """The translated question of one row: ``field_name`` if given, else the first known translated field."""
    if not isinstance(row, dict):
        return row
    if field_name:
        return row.get(field_name)
    return next((row[name] for name in TRANSLATED_FIELDS if row.get(name)), row.get("question"))


def _own_translation_field(items: list[dict[str, Any]], field_name: str | None) -> str | None:
    """The field of the questions file itself holding translated questions (``--question-field`` or a known one)."""
    if field_name:
        return field_name
    first = items[0] if items else {}
    return next((name for name in TRANSLATED_FIELDS if first.get(name)), None)


def import_benchmark(
    root: str | Path,
    *,
    out: str | Path | None = None,
    split: str = "dev",
    questions: str | Path | None = None,
    question_field: str | None = None,
) -> ImportReport:
    """Write a suite from a Spider/BIRD folder; rows whose database file is missing are skipped and listed.

    Raises ``ImportError_`` when the folder or files are unusable, when ``question_field`` is in no row,
    or when no question at all could be written."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise ImportError_(f"{root}: not a folder")
    source = _questions_file(root, split)
    items = _read_json(source)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ImportError_(f"{source}: expected a JSON list of objects")
    flavor = "bird" if items and "SQL" in items[0] else "spider"
    translated: list[dict[str, Any]] | None = None
    if questions is not None:
        translated = _read_json(Path(questions).expanduser())
        if not isinstance(translated, list) or len(translated) != len(items):
            count = len(translated) if isinstance(translated, list) else "not a list"
            raise ImportError_(f"{questions}: expected a list of {len(items)} items like {source.name}, got {count}")

    own_field = None if translated is not None else _own_translation_field(items, question_field)
    lookup = translated if translated is not None else items
    if question_field and not any(isinstance(r, dict) and r.get(question_field) for r in lookup):
        where = questions if translated is not None else source
        raise ImportError_(f"{where}: no item has the field {question_field!r}")

    suite_path = Path(out).expanduser() if out else root / f"{flavor}-{split}.yaml"
    suite_dir = suite_path.resolve().parent
    known = _known_dbs(root, split, flavor)
    report = ImportReport(suite_path=suite_path, flavor=flavor)
    cases: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        db_id = str(item.get("db_id", ""))
        gold = item.get("SQL") if flavor == "bird" else item.get("query")
        case_id = f"{split}_{item.get('question_id', index):04d}" if flavor == "bird" else f"{split}_{index:04d}"
        question = str(item.get("question", "")).strip()
        question_en: str | None = None
        if translated is not None:
            row = translated[index]
            other = _translated(row, question_field)
            if isinstance(row, dict) and row.get("db_id") not in (None, db_id):
                raise ImportError_(f"{questions}: item {index} is about {row.get('db_id')!r}, expected {db_id!r}")
            question_en, question = question, str(other or "").strip()
        elif own_field is not None:
            question_en, question = question, str(item.get(own_field) or "").strip()
        if not db_id or not gold or not question:
            report.skipped.append(f"{case_id}: missing db_id, SQL or question")
            continue
        if known is not None and db_id not in known:
            report.skipped.append(f"{case_id}: db_id {db_id!r} not in the tables file")
            continue
        db_path = _db_file(root, split, flavor, db_id)
        if not db_path.is_file():
            report.skipped.append(f"{case_id}: database file {db_path} not found")
            continue
        tags = [db_id]
        if flavor == "bird" and item.get("difficulty") in BIRD_DIFFICULTY:
            tags.insert(0, BIRD_DIFFICULTY[item["difficulty"]])
        case: dict[str, Any] = {"id": case_id, "question": question}
        if question_en:
            case["question_en"] = question_en
        case["gold_sql"] = " ".join(str(gold).split())
        case["db"] = Path(os.path.relpath(db_path, suite_dir)).as_posix()
        case["tags"] = tags
        if item.get("evidence"):
            case["evidence"] = str(item["evidence"]).strip()
        cases.append(case)

    if not cases:
        reasons = f"; first skipped: {report.skipped[0]}" if report.skipped else ""
        raise ImportError_(f"{source}: no question could be imported ({len(report.skipped)} skipped{reasons})")
    suite = {
        "name": f"{flavor}-{split}",
        "description": f"Imported from {flavor} ({source.name}"
        + (f", questions from {questions}" if questions else "")
        + ")",
        "cases": cases,
    }
    suite_path.parent.mkdir(parents=True, exist_ok=True)
    suite_path.write_text(yaml.safe_dump(suite, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    report.written = len(cases)
    return report
