"""``vozbd query`` through typer's CliRunner: demo default, URL argument, JSON, caps and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import URL
from typer.testing import CliRunner

from vozbd.cli.app import app
from vozbd.cli.errors import EXIT_DATABASE, EXIT_OK, EXIT_UNSAFE, EXIT_USAGE


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VOZBD_DEFAULT_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return CliRunner()


def test_one_argument_is_sql_on_the_demo_database(runner: CliRunner) -> None:
    result = runner.invoke(app, ["query", "SELECT uf, COUNT(*) AS n FROM clientes GROUP BY uf ORDER BY n DESC"])
    assert result.exit_code == EXIT_OK, result.output
    assert "SP" in result.output and "linhas" in result.output and "demo (sqlite)" in result.output


def test_json_output_is_one_object(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["query", "demo", "SELECT id, preco FROM produtos ORDER BY id", "--json", "--max-rows", "3"]
    )
    assert result.exit_code == EXIT_OK, result.output
    payload = json.loads(result.output)
    assert set(payload) == {
        "columns", "rows", "row_count", "truncated", "elapsed_ms", "executed_sql", "connection", "dialect",
        "offset", "total_rows", "next_offset", "window", "cells_cut", "model_rows",
    }  # fmt: skip
    assert payload["model_rows"] is None  # the demo connection's policy sets no cap on rows sent to a model
    assert payload["total_rows"] > 3
    assert payload["columns"] == ["id", "preco"]
    assert [row[0] for row in payload["rows"]] == [1, 2, 3]
    assert payload["row_count"] == 3 and payload["truncated"] is True
    assert payload["executed_sql"].endswith("LIMIT 4")


def test_url_as_database_argument(runner: CliRunner, demo_sqlite: Path) -> None:
    url = URL.create("sqlite", database=str(demo_sqlite)).render_as_string(hide_password=False)
    result = runner.invoke(app, ["query", url, "SELECT COUNT(*) AS n FROM pedidos", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.output)["rows"] == [[1800]]


def test_mysql_demo_through_cli(runner: CliRunner, demo_mysql_url: str) -> None:
    result = runner.invoke(app, ["query", demo_mysql_url, "SELECT COUNT(*) FROM clientes", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.output)["dialect"] == "mysql"


@pytest.mark.parametrize(
    "sql", ["DELETE FROM clientes", "SELECT 1; DROP TABLE clientes", "SELECT * FROM clientes FOR UPDATE"]
)
def test_unsafe_query_exits_3_with_pt_br_message(runner: CliRunner, sql: str) -> None:
    result = runner.invoke(app, ["query", sql])
    assert result.exit_code == EXIT_UNSAFE
    assert result.output.startswith("Erro (unsafe_query): ") and len(result.output) > 60  # pt-BR explanation


def test_unsafe_query_json_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["query", "demo", "UPDATE produtos SET preco = 0", "--json"])
    assert result.exit_code == EXIT_UNSAFE
    payload = json.loads(result.output)
    assert payload["error"] == "unsafe_query" and payload["detail"]["code"] == "write_statement"


def test_database_error_exits_4(runner: CliRunner) -> None:
    result = runner.invoke(app, ["query", "SELECT coluna_que_nao_existe FROM clientes"])
    assert result.exit_code == EXIT_DATABASE
    assert "coluna_que_nao_existe" in result.output


@pytest.mark.slow
def test_timeout_exits_4(runner: CliRunner) -> None:
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
    result = runner.invoke(app, ["query", slow, "--timeout", "0.5", "--json"])
    assert result.exit_code == EXIT_DATABASE
    assert json.loads(result.output)["error"] == "query_timeout"


@pytest.mark.parametrize(
    "args",
    [["query"], ["query", ""], ["query", "nao-existe", "SELECT 1"], ["query", "SELECT 1", "--max-rows", "0"]],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == EXIT_USAGE
