"""The bundled suite: well formed, big enough, and its gold SQL runs (non-empty) on SQLite, PostgreSQL and MariaDB
loads of the demo database, giving the same results on all three."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.execution import eval_context, execute_sql
from evals.scoring import compare_results
from evals.suite import DIFFICULTIES, load_suite
from tools.context import ToolContext
from vozbd.cli.app import app

DEMO_SUITE = Path(__file__).resolve().parents[2] / "evals" / "suites" / "demo.yaml"


@pytest.fixture(scope="module")
def suite():
    return load_suite(DEMO_SUITE)


def test_bundled_suite_shape(suite) -> None:
    assert len(suite.cases) >= 150
    assert all(c.difficulty in DIFFICULTIES for c in suite.cases), "every case has one difficulty tag"
    counts = suite.tag_counts()
    assert all(counts.get(d, 0) >= 10 for d in DIFFICULTIES)
    assert counts["datas_relativas"] >= 20 and counts["join3"] >= 5 and counts["ambigua"] >= 5
    assert all(str(c.reference_date) == "2026-06-30" and c.db == "demo" for c in suite.cases)
    dialect_specific = [c for c in suite.cases if isinstance(c.gold_sql, dict)]
    assert all(({"sqlite"} <= set(c.gold_sql) and {"postgres", "mysql"} & set(c.gold_sql)) or "default" in c.gold_sql
               for c in dialect_specific)  # fmt: skip


def _run_all(suite, ctx: ToolContext, db: str, dialect: str) -> dict[str, tuple]:
    results = {}
    problems = []
    for case in suite.cases:
        executed = execute_sql(ctx, case.gold_for(dialect), db)
        if not executed.ok:
            problems.append(f"{case.id}: {executed.error_code}: {executed.error_message}")
        elif not executed.rows:
            problems.append(f"{case.id}: empty result")
        results[case.id] = (executed.columns, executed.rows)
    assert not problems, f"gold SQL failing on {dialect}:\n" + "\n".join(problems)
    return results


@pytest.fixture(scope="module")
def sqlite_results(suite, demo_sqlite: Path, tmp_path_factory: pytest.TempPathFactory):
    from cryptography.fernet import Fernet

    from tools.db.connect import dispose_engines
    from tools.db.registry import ConnectionRegistry

    path = tmp_path_factory.mktemp("reg") / "r.sqlite3"
    ctx = eval_context(ToolContext(registry=ConnectionRegistry(path, secret_key=Fernet.generate_key().decode())))
    try:
        return _run_all(suite, ctx, f"sqlite:///{demo_sqlite}", "sqlite")
    finally:
        dispose_engines(ctx)


def test_gold_runs_on_sqlite(sqlite_results) -> None:
    assert len(sqlite_results) >= 150


@pytest.mark.parametrize(("fixture", "dialect"), [("demo_pg_url", "postgres"), ("demo_mysql_url", "mysql")])
def test_gold_runs_and_agrees_on_server_databases(
    suite, sqlite_results, tool_ctx: ToolContext, request: pytest.FixtureRequest, fixture: str, dialect: str
) -> None:
    url = request.getfixturevalue(fixture)
    results = _run_all(suite, eval_context(tool_ctx), url, dialect)
    # Same data in every load: the per-dialect gold must give the same multiset of rows as on SQLite.
    differ = [
        case_id
        for case_id, (columns, rows) in results.items()
        if not compare_results(*sqlite_results[case_id], columns, rows, ordered=False).match
    ]
    assert not differ, f"{dialect} results differ from SQLite for: {differ}"


def test_cli_validate_bundled_suite_on_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["eval", "validate", str(DEMO_SUITE)])
    assert result.exit_code == 0, result.output
    assert f"{len(load_suite(DEMO_SUITE).cases)}/{len(load_suite(DEMO_SUITE).cases)} consultas gold OK" in result.output


def test_cli_validate_reports_failing_gold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "db: demo\ncases:\n"
        "  - {id: ok, question: q, gold_sql: SELECT COUNT(*) FROM clientes}\n"
        "  - {id: vazio, question: q, gold_sql: \"SELECT nome FROM clientes WHERE uf = 'XX'\"}\n"
        "  - {id: quebrado, question: q, gold_sql: SELECT nada FROM tabela_que_nao_existe}\n"
        "  - {id: perigoso, question: q, gold_sql: DELETE FROM clientes}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["eval", "validate", str(suite)])
    assert result.exit_code == 2
    assert "vazio (sqlite): empty result" in result.output
    assert "quebrado (sqlite): database_error" in result.output
    assert "perigoso (sqlite): unsafe_query" in result.output
    assert "1/4 consultas gold OK" in result.output
