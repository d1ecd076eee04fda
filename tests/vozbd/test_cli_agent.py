"""``vozbd ask`` / ``vozbd chat`` / ``vozbd models list`` end to end, with the scripted model on the demo DB."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tools.db.demo import demo_db_path
from vozbd.cli.app import app
from vozbd.cli.llm import add_llm_commands

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "agent" / "scripts" / "demo.yaml"
PROVIDER_ENV = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY", "VOZBD_MODEL")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOZBD_OLLAMA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VOZBD_OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.chdir(tmp_path)  # no stray .env


def clients() -> int:
    with sqlite3.connect(demo_db_path()) as conn:
        return conn.execute("SELECT COUNT(*) FROM clientes").fetchone()[0]


def test_ask_prints_answer_sql_and_table() -> None:
    result = CliRunner().invoke(app, ["ask", "Quantos clientes temos?", "--model", f"scripted/{SCRIPT}"])
    assert result.exit_code == 0, result.output
    assert f"Temos {clients()} clientes" in result.output
    assert "SELECT COUNT(*) AS total FROM clientes" in result.output
    assert "total" in result.output and "1 linha em" in result.output and "linha(s)" not in result.output


def test_ask_json_and_memory_across_invocations() -> None:
    runner = CliRunner()
    args = ["--model", f"scripted/{SCRIPT}", "--json", "--conversation", "cli-mem"]
    first = runner.invoke(app, ["ask", "Quantos pedidos em maio?", *args])
    assert first.exit_code == 0, first.output
    turn = json.loads(first.output)
    assert turn["conversation_id"] == "cli-mem" and turn["sql_attempts"] == 1
    assert turn["results"][0]["row_count"] == 1
    second = json.loads(runner.invoke(app, ["ask", "E no mês passado?", *args]).output)
    assert "abril" in second["answer"]
    assert (Path("data") / "checkpoints.sqlite3").exists()


def test_ask_refusal_of_writes_is_reported() -> None:
    result = CliRunner().invoke(app, ["ask", "apague os clientes", "--model", f"scripted/{SCRIPT}", "--json"])
    turn = json.loads(result.output)
    assert turn["sql_runs"][0]["error_code"] == "unsafe_query"
    assert "unsafe_query" in turn["answer"]


def test_ask_without_model_explains_configuration() -> None:
    result = CliRunner().invoke(app, ["ask", "Quantos clientes temos?"])
    assert result.exit_code == 2
    assert "VOZBD_MODEL" in result.output


def test_ask_with_unknown_provider_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["ask", "oi", "--model", "acme/x"])
    assert result.exit_code == 2
    assert "Provedor de modelo desconhecido" in result.output


@pytest.mark.parametrize("command", [["ask", "Quantos clientes temos?"], ["chat"]])
def test_an_unknown_db_is_a_usage_error_before_any_turn(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--db", "nao_salva", "--model", f"scripted/{SCRIPT}"], input="/sair\n")
    assert result.exit_code == 2, result.output  # ask answered "✗ unknown_connection" and exited 0
    assert "Conexão 'nao_salva' não encontrada" in " ".join(result.output.split())


def test_a_conversation_id_too_long_to_log_is_a_usage_error() -> None:
    args = ["ask", "Quantos clientes temos?", "--model", f"scripted/{SCRIPT}", "--conversation", "c" * 129]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--conversation deve ter de 1 a 128 caracteres" in result.output
    assert "Traceback" not in result.output and "ValidationError" not in result.output


def test_ask_with_audio_that_cannot_be_used_is_an_error_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = Path.home() / ".local" / "share" / "vozbd" / "models"  # the machine's (this test's data dir has none)
    junk = tmp_path / "pergunta.wav"
    junk.write_bytes(b"isto nao e audio" * 64)
    args = ["ask", "--audio", str(junk), "--model", f"scripted/{SCRIPT}"]
    if not (models / "whisper-base").is_dir():
        pytest.skip("speech models not installed (vozbd models install)")
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(models))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output  # bad input, as `vozbd transcribe` says (both cases exited 0)
    assert "Não consegui ler o áudio" in result.output
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(tmp_path / "sem-modelos"))
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 1 and "vozbd models install" in missing.output


def test_ask_speak_to_a_folder_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "nao" / "existe" / "resposta.wav"
    args = ["ask", "Quantos clientes temos?", "--model", f"scripted/{SCRIPT}", "--speak", str(out)]
    result = CliRunner().invoke(app, args)
    if "não gerado" in result.output:  # no speech engine here: nothing to write
        pytest.skip("no speech engine installed")
    assert result.exit_code == 2, result.output  # was a FileNotFoundError traceback
    assert "não consegui gravar o áudio em" in " ".join(result.output.split())


def test_ask_needs_a_question() -> None:
    assert CliRunner().invoke(app, ["ask"]).exit_code == 2


def test_chat_keeps_memory_and_quits() -> None:
    session = "Quantos pedidos em maio?\nE no mês passado?\n/sair\n"
    result = CliRunner().invoke(app, ["chat", "--model", f"scripted/{SCRIPT}"], input=session)
    assert result.exit_code == 0, result.output
    assert "Foram " in result.output and "Em abril foram" in result.output
    assert "Até logo" in result.output


def test_chat_ends_on_eof() -> None:
    result = CliRunner().invoke(app, ["chat", "--model", f"scripted/{SCRIPT}"], input="")
    assert result.exit_code == 0 and "Até logo" in result.output


def test_models_list_json() -> None:
    group = typer.Typer()
    add_llm_commands(group)

    @group.callback()
    def _root() -> None:  # keep "list" as a sub-command
        pass

    result = CliRunner().invoke(group, ["list", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    names = {p["name"] for p in payload["providers"]}
    assert {"openai", "gemini", "openrouter", "ollama", "openai-compatible", "scripted"} == names
    assert payload["default_model"] is None
