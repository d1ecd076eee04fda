"""Suite loading and validation: good files load, bad rows are reported with file:line and id."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from evals.suite import SuiteError, load_suite

GOOD = """\
name: mini
db: data/mini.sqlite
reference_date: 2026-06-30
cases:
  - id: q1
    question: Quantos clientes temos?
    gold_sql: SELECT COUNT(*) FROM clientes
    tags: [easy, clientes]
  - id: q2
    question: Pedidos por mês
    gold_sql:
      sqlite: SELECT strftime('%m', data_pedido) FROM pedidos
      default: SELECT EXTRACT(MONTH FROM data_pedido) FROM pedidos
    db: vendas
    reference_date: 2025-01-31
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_yaml_loads_with_defaults(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, "mini.yaml", GOOD))
    assert suite.name == "mini"
    q1, q2 = suite.cases
    assert q1.db == f"sqlite:///{(tmp_path / 'data' / 'mini.sqlite').resolve()}"
    assert q1.reference_date == dt.date(2026, 6, 30)
    assert q1.difficulty == "easy"
    assert q2.db == "vendas"
    assert q2.reference_date == dt.date(2025, 1, 31)
    assert q2.gold_for("sqlite").startswith("SELECT strftime")
    assert q2.gold_for("postgres").startswith("SELECT EXTRACT")
    assert suite.tag_counts() == {"clientes": 1, "easy": 1}
    assert [c.id for c in suite.select(tags=["easy"])] == ["q1"]
    assert len(suite.select(limit=1)) == 1


def test_gold_without_dialect_or_default_is_a_clear_error(tmp_path: Path) -> None:
    text = GOOD.replace("      default: SELECT EXTRACT(MONTH FROM data_pedido) FROM pedidos\n", "")
    case = load_suite(write(tmp_path, "s.yaml", text)).cases[1]
    with pytest.raises(KeyError, match="postgres"):
        case.gold_for("postgres")


def test_bad_rows_are_all_reported_with_line_and_id(tmp_path: Path) -> None:
    text = """\
db: demo
cases:
  - id: ok
    question: Quantos clientes?
    gold_sql: SELECT 1
  - id: no_gold
    question: Sem SQL
  - id: ok
    question: repetida
    gold_sql: SELECT 2
  - id: two_levels
    question: difícil e fácil
    gold_sql: SELECT 3
    tags: [easy, hard]
  - id: typo
    question: campo errado
    gold_sql: SELECT 4
    dificuldade: easy
  - just a string
  - id: bad_dialect
    question: x
    gold_sql: {oracle9: SELECT 1}
"""
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, "bad.yaml", text))
    problems = info.value.problems
    text_all = "\n".join(problems)
    assert "bad.yaml:6 (id no_gold): gold_sql: Field required" in text_all
    assert "bad.yaml:8 (id ok): duplicate id (first at line 3)" in text_all
    assert "bad.yaml:11 (id two_levels): tags: Value error, more than one difficulty tag" in text_all
    assert "bad.yaml:15 (id typo): dificuldade: Extra inputs are not permitted" in text_all
    assert "bad.yaml:19: a case must be a mapping, got str" in text_all
    assert "bad.yaml:20 (id bad_dialect): gold_sql" in text_all
    assert len(problems) == 6


def test_missing_db_is_reported(tmp_path: Path) -> None:
    text = "cases:\n  - id: a\n    question: q\n    gold_sql: SELECT 1\n"
    with pytest.raises(SuiteError, match=r"s.yaml:2 \(id a\): db: no database"):
        load_suite(write(tmp_path, "s.yaml", text))


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"x.yaml:\d+: not valid YAML"):
        load_suite(write(tmp_path, "x.yaml", "cases: [\n  - id: 1\n  oops: ]"))
    with pytest.raises(SuiteError, match="file not found"):
        load_suite(tmp_path / "nope.yaml")
    with pytest.raises(SuiteError, match="unknown suite format"):
        load_suite(write(tmp_path, "s.txt", "x"))
    with pytest.raises(SuiteError, match="no cases"):
        load_suite(write(tmp_path, "e.yaml", "db: demo\ncases: []\n"))


def test_jsonl_suite_with_defaults_line(tmp_path: Path) -> None:
    lines = [
        {"suite": {"name": "j", "db": "demo", "reference_date": "2026-06-30"}},
        {"id": "a", "question": "Quantos pedidos?", "gold_sql": "SELECT COUNT(*) FROM pedidos", "tags": "easy,pedidos"},
        {"id": "b", "question": "", "gold_sql": "SELECT 1"},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken\n"
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, "s.jsonl", text))
    assert any(p.startswith("s.jsonl:3 (id b): question") for p in info.value.problems)
    assert any(p.startswith("s.jsonl:4: not valid JSON") for p in info.value.problems)

    good = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines[:2])
    suite = load_suite(write(tmp_path, "g.jsonl", good))
    assert suite.name == "j"
    assert suite.cases[0].tags == ("easy", "pedidos")
    assert suite.cases[0].db == "demo"
