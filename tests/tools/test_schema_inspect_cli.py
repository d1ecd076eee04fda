"""``vozbd schema`` through typer's CliRunner (demo database and a tmp SQLite file)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vozbd.cli.app import app
from vozbd.cli.errors import EXIT_DATABASE, EXIT_USAGE


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return CliRunner()


def test_default_tree_on_demo(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--table", "clientes"])
    assert result.exit_code == 0, result.output
    assert "clientes" in result.output
    assert "uf" in result.output and "SP" in result.output
    assert "PK" in result.output
    assert "pedidos" not in result.output


def test_json_is_the_structured_model(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "demo", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["dialect"] == "sqlite"
    names = {t["name"] for t in payload["tables"]}
    assert {"clientes", "pedidos", "entregas"} <= names
    pedidos = next(t for t in payload["tables"] if t["name"] == "pedidos")
    assert pedidos["foreign_keys"][0]["referred_table"] == "clientes"
    assert payload["compact"].startswith("-- dialect: sqlite")


def test_prompt_with_question_and_budget(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--prompt", "--question", "quantos clientes de SP?", "--budget", "700"])
    assert result.exit_code == 0, result.output
    text = result.output.rstrip("\n")
    assert len(text) <= 700
    assert text.splitlines()[2].startswith("TABLE clientes")
    assert "-- outras" in text


def test_url_argument(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "mini.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE coisas (id INTEGER PRIMARY KEY, tipo TEXT)")
        db.executemany("INSERT INTO coisas (tipo) VALUES (?)", [("a",), ("b",), ("a",)])
    result = runner.invoke(app, ["schema", f"sqlite:///{path}", "--prompt"])
    assert result.exit_code == 0, result.output
    assert "TABLE coisas (~3 linhas)" in result.output
    assert "valores: a, b" in result.output


def test_unknown_table_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--table", "fornecedores", "--json"])
    assert result.exit_code == EXIT_USAGE
    payload = json.loads(result.output)
    assert payload["error"] == "invalid_input"
    assert "clientes" in payload["message"]


def test_unknown_connection_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "nao_existe"])
    assert result.exit_code == EXIT_USAGE


def test_unreachable_database_exit_code(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "postgresql://u:segredo9@127.0.0.1:1/x", "--json"])
    assert result.exit_code == EXIT_DATABASE
    assert "segredo9" not in result.output


def test_json_and_prompt_together_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--json", "--prompt"])
    assert result.exit_code == EXIT_USAGE
