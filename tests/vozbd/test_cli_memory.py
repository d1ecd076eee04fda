"""``vozbd examples`` and ``vozbd glossary`` against a real app database in a tmp data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vozbd.cli.app import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VOZBD_DATABASE_URL", raising=False)
    monkeypatch.delenv("VOZBD_DEFAULT_DB", raising=False)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def _run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_examples_add_list_remove() -> None:
    added = _run("examples", "add", "Quantos clientes de SP?", "SELECT COUNT(*) FROM clientes WHERE uf = 'SP'")
    assert added.exit_code == 0, added.output
    assert "SQL executado: 1 linha(s)" in added.output and "Exemplo 1 gravado para a conexão demo" in added.output
    listed = _run("examples", "list", "--json")
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert rows[0]["question"] == "Quantos clientes de SP?" and rows[0]["connection"] == "demo"
    assert rows[0]["skeleton"] == "SELECT COUNT(*) FROM _ WHERE _ = '_'"
    assert _run("examples", "remove", "1").exit_code == 0
    assert _run("examples", "remove", "1").exit_code == 2
    assert "Nenhum exemplo" in _run("examples", "list").output


def test_examples_refuses_unsafe_or_broken_sql() -> None:
    unsafe = _run("examples", "add", "apaga", "DELETE FROM clientes")
    assert unsafe.exit_code == 3
    broken = _run("examples", "add", "quantos?", "SELECT COUNT(*) FROM tabela_que_nao_existe")
    assert broken.exit_code == 4
    assert json.loads(_run("examples", "list", "--json").output or "null") is None


def test_examples_import_suite() -> None:
    result = _run("examples", "import", "--suite", str(ROOT / "evals" / "suites" / "demo.yaml"))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in _run("examples", "list", "--json", "--db", "demo").output.splitlines()]
    assert len(rows) == 181 and {r["source"] for r in rows} == {"suite"}
    bad = _run("examples", "import", "--suite", "nope.yaml")
    assert bad.exit_code == 2


def test_glossary_add_list_remove() -> None:
    assert _run("glossary", "add", "atrasado", "entregas.dias_atraso > 0").exit_code == 0
    listed = _run("glossary", "list", "--json")
    assert json.loads(listed.output) == {
        "id": 1,
        "connection": "demo",
        "term": "atrasado",
        "definition": "entregas.dias_atraso > 0",
    }
    assert "[bold" not in _run("glossary", "list").output
    assert _run("glossary", "remove", "atrasado").exit_code == 0
    missing = _run("glossary", "remove", "atrasado")
    assert missing.exit_code == 2 and "não existe" in missing.output


def test_agent_memory_opens_the_app_database_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vozbd.settings import Settings
    from vozbd.wiring import LazyMemory, build_agent

    assert _run("glossary", "add", "atrasado", "entregas.dias_atraso > 0").exit_code == 0
    agent = build_agent(Settings(), speech=False)
    assert isinstance(agent.memory, LazyMemory)
    store = agent.memory()
    assert store is not None and [t.term for t in store.list_terms("demo")] == ["atrasado"]
    assert agent.memory() is store
    assert build_agent(Settings(), speech=False, use_memory=False).memory is None
    monkeypatch.setenv("VOZBD_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    assert LazyMemory(Settings())() is None  # unreachable app database: no memory, no crash
