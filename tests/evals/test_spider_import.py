"""import-spider on a tiny Spider-format folder (and a BIRD-format one) that the tests build."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.spider import ImportError_, import_benchmark
from evals.suite import load_suite
from vozbd.cli.app import app

QUESTIONS = [
    ("concert_singer", "How many singers do we have?", "SELECT count(*) FROM singer"),
    ("concert_singer", "List singer names ordered by age.", "SELECT name FROM singer ORDER BY age"),
    ("concert_singer", "What is the average age of singers?", "SELECT avg(age) FROM singer"),
    ("pets_1", "How many pets are dogs?", "SELECT count(*) FROM pets WHERE pet_type = 'dog'"),
    ("pets_1", "What is the weight of the heaviest pet?", "SELECT max(weight) FROM pets"),
]
PT = [
    "Quantos cantores temos?",
    "Liste os nomes dos cantores por idade.",
    "Qual a idade média dos cantores?",
    "Quantos pets são cachorros?",
    "Qual o peso do pet mais pesado?",
]


def _make_db(path: Path, ddl: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as con:
        con.execute(ddl)
        for row in rows:
            con.execute(row)


@pytest.fixture
def spider_dir(tmp_path: Path) -> Path:
    root = tmp_path / "spider"
    _make_db(
        root / "database" / "concert_singer" / "concert_singer.sqlite",
        "CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT, age INTEGER)",
        ["INSERT INTO singer VALUES (1, 'Ana', 30)", "INSERT INTO singer VALUES (2, 'Bia', 25)"],
    )
    _make_db(
        root / "database" / "pets_1" / "pets_1.sqlite",
        "CREATE TABLE pets (pet_id INTEGER PRIMARY KEY, pet_type TEXT, weight REAL)",
        ["INSERT INTO pets VALUES (1, 'dog', 12.5)", "INSERT INTO pets VALUES (2, 'cat', 4.0)"],
    )
    dev = [{"db_id": db, "question": q, "query": sql, "query_toks": [], "sql": {}} for db, q, sql in QUESTIONS]
    (root / "dev.json").write_text(json.dumps(dev), encoding="utf-8")
    pt = [dict(item, question=text) for item, text in zip(dev, PT, strict=True)]
    (root / "dev_pt.json").write_text(json.dumps(pt, ensure_ascii=False), encoding="utf-8")
    tables = [{"db_id": "concert_singer", "table_names": ["singer"]}, {"db_id": "pets_1", "table_names": ["pets"]}]
    (root / "tables.json").write_text(json.dumps(tables), encoding="utf-8")
    return root


def test_import_spider_writes_a_loadable_suite(spider_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "suites" / "spider-dev.yaml"
    report = import_benchmark(spider_dir, out=out, questions=spider_dir / "dev_pt.json")
    assert report.flavor == "spider" and report.written == 5 and not report.skipped
    suite = load_suite(out)
    assert [c.question for c in suite.cases] == PT
    assert suite.cases[0].question_en == QUESTIONS[0][1]
    assert suite.cases[1].gold_sql == QUESTIONS[1][2]
    assert suite.cases[3].tags == ("pets_1",)
    # db paths are relative to the suite file and resolve to the real files
    raw = out.read_text(encoding="utf-8")
    assert "../spider/database/pets_1/pets_1.sqlite" in raw
    assert suite.cases[4].db == f"sqlite:///{(spider_dir / 'database/pets_1/pets_1.sqlite').resolve()}"
    with sqlite3.connect(suite.cases[4].db.removeprefix("sqlite:///")) as con:
        assert con.execute(suite.cases[4].gold_for("sqlite")).fetchall() == [(12.5,)]


def test_missing_database_rows_are_skipped(spider_dir: Path) -> None:
    (spider_dir / "database" / "pets_1" / "pets_1.sqlite").unlink()
    report = import_benchmark(spider_dir)
    assert report.written == 3
    assert len(report.skipped) == 2 and "pets_1.sqlite not found" in report.skipped[0]
    assert report.suite_path == spider_dir / "spider-dev.yaml"


def test_bad_questions_file_is_refused(spider_dir: Path) -> None:
    (spider_dir / "short.json").write_text(json.dumps([{"question": "só uma"}]), encoding="utf-8")
    with pytest.raises(ImportError_, match="expected a list of 5 items"):
        import_benchmark(spider_dir, questions=spider_dir / "short.json")
    with pytest.raises(ImportError_, match="not found"):
        import_benchmark(spider_dir, split="test")


def test_import_bird_format(tmp_path: Path) -> None:
    root = tmp_path / "bird"
    _make_db(
        root / "dev_databases" / "shop" / "shop.sqlite",
        "CREATE TABLE orders (id INTEGER, total REAL)",
        ["INSERT INTO orders VALUES (1, 10.0)"],
    )
    dev = [
        {
            "question_id": 7,
            "db_id": "shop",
            "question": "What is the total of order 1?",
            "evidence": "total refers to orders.total",
            "SQL": "SELECT total FROM orders WHERE id = 1",
            "difficulty": "moderate",
        }
    ]
    (root / "dev.json").write_text(json.dumps(dev), encoding="utf-8")
    (root / "dev_tables.json").write_text(json.dumps([{"db_id": "shop"}]), encoding="utf-8")
    report = import_benchmark(root)
    assert report.flavor == "bird" and report.written == 1
    case = load_suite(report.suite_path).cases[0]
    assert case.id == "dev_0007"
    assert case.evidence == "total refers to orders.total"
    assert case.tags == ("medium", "shop")


def test_cli_import_spider(spider_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(
        app,
        ["eval", "import-spider", str(spider_dir), "--out", str(out), "--questions", str(spider_dir / "dev_pt.json")],
    )
    assert result.exit_code == 0, result.output
    assert "5" in result.output
    assert len(load_suite(out).cases) == 5
    bad = CliRunner().invoke(app, ["eval", "import-spider", str(tmp_path / "nope")])
    assert bad.exit_code == 2


def test_translated_field_in_the_questions_file_itself(spider_dir: Path) -> None:
    dev = json.loads((spider_dir / "dev.json").read_text(encoding="utf-8"))
    for item, text in zip(dev, PT, strict=True):
        item["question_pt"] = text
    (spider_dir / "dev.json").write_text(json.dumps(dev, ensure_ascii=False), encoding="utf-8")
    suite = load_suite(import_benchmark(spider_dir).suite_path)
    assert [c.question for c in suite.cases] == PT
    assert suite.cases[0].question_en == QUESTIONS[0][1]


def test_question_field_option_picks_the_named_field(spider_dir: Path, tmp_path: Path) -> None:
    rows = [
        {"db_id": db, "pergunta": f"P{i}: {text}"}
        for i, ((db, _, _), text) in enumerate(zip(QUESTIONS, PT, strict=True))
    ]
    (spider_dir / "dev_br.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "br.yaml"
    import_benchmark(spider_dir, out=out, questions=spider_dir / "dev_br.json", question_field="pergunta")
    assert load_suite(out).cases[2].question == f"P2: {PT[2]}"
    with pytest.raises(ImportError_, match="no item has the field 'question_xx'"):
        import_benchmark(spider_dir, questions=spider_dir / "dev_br.json", question_field="question_xx")


def test_cli_fails_when_nothing_would_be_written(spider_dir: Path, tmp_path: Path) -> None:
    for db in ("pets_1", "concert_singer"):
        (spider_dir / "database" / db / f"{db}.sqlite").unlink()
    out = tmp_path / "empty.yaml"
    result = CliRunner().invoke(app, ["eval", "import-spider", str(spider_dir), "--out", str(out)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "no question could be imported (5 skipped; first skipped: dev_0000" in output
    assert not out.exists()


def test_cli_skip_lines_are_plain_text(spider_dir: Path, tmp_path: Path) -> None:
    (spider_dir / "database" / "pets_1" / "pets_1.sqlite").unlink()
    result = CliRunner().invoke(app, ["eval", "import-spider", str(spider_dir), "--out", str(tmp_path / "s.yaml")])
    assert result.exit_code == 0, result.output
    assert "ignorada: dev_0003" in result.output
    assert "[yellow]" not in result.output and "[/]" not in result.output
