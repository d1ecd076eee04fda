"""`vozbd models` is one group for every model: bare `models` lists LLM providers; install/status/list exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vozbd.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY", "VOZBD_MODEL"):
        monkeypatch.delenv(name, raising=False)
    # Point local providers at a closed port so nothing on this machine is probed by accident.
    monkeypatch.setenv("VOZBD_OLLAMA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VOZBD_OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9/v1")


def test_group_lists_all_subcommands() -> None:
    result = runner.invoke(app, ["models", "--help"])
    assert result.exit_code == 0
    for command in ("install", "status", "list"):
        assert command in result.output


def test_bare_models_lists_providers_and_explains_how_to_configure() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    for provider in ("openai", "gemini", "openrouter", "ollama"):
        assert provider in result.output
    assert "VOZBD_MODEL" in result.output


def test_list_json_reports_the_configured_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_OPENAI_API_KEY", "sk-test-not-real")
    result = runner.invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["default_model"] is None, "a key alone must not make a hosted provider the default"
    openai = next(p for p in payload["providers"] if p["name"] == "openai")
    assert openai["configured"] is True and openai["hosted"] is True and openai["reach"] == "internet"
    assert openai["reachable"] is None  # not contacted: VOZBD_MODEL does not name it
    assert "sk-test-not-real" not in result.output

    monkeypatch.setenv("VOZBD_MODEL", "openai/gpt-4.1-mini")
    monkeypatch.setenv("VOZBD_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # named: probed (here a closed port)
    payload = json.loads(runner.invoke(app, ["models", "list", "--json"]).output)
    assert payload["default_model"] == "openai/gpt-4.1-mini" and payload["default_reach"] == "machine"
    openai = next(p for p in payload["providers"] if p["name"] == "openai")
    assert openai["reachable"] is False


def test_list_table_says_where_the_model_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_MODEL", "gemini/gemini-2.5-flash")
    monkeypatch.setenv("GOOGLE_API_KEY", "g-test")
    result = runner.invoke(app, ["models", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Google Gemini (serviço hospedado), fora da sua rede" in result.output
