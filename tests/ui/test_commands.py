"""Slash commands against real databases (demo SQLite + the session's PostgreSQL), no browser, no LLM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ui import runtime
from ui.commands import Command, run_command
from ui.prefs import Prefs, TurnTimings
from vozbd.settings import Settings
from vozbd.wiring import build_app


@pytest.fixture
def prefs(tmp_path) -> Iterator[Prefs]:
    settings = Settings(data_dir=tmp_path, ollama_base_url="http://127.0.0.1:9", model=None)
    app = build_app(settings)
    runtime.configure(app.ui)
    yield Prefs.from_config(app.ui_config)
    from tools.db.connect import dispose_engines

    dispose_engines(runtime.tool_context())


def test_sql_runs_read_only_on_demo(prefs: Prefs) -> None:
    sql = "SELECT uf, COUNT(*) AS n FROM clientes GROUP BY uf ORDER BY n DESC LIMIT 3;"
    reply = run_command(Command("sql", sql), prefs)
    assert not reply.error and reply.result.columns == ["uf", "n"] and len(reply.result.rows) == 3
    assert reply.sql and "LIMIT 3" in reply.sql.upper()


def test_sql_refuses_writes_with_pt_br_message(prefs: Prefs) -> None:
    reply = run_command(Command("sql", "DELETE FROM pedidos"), prefs)
    assert reply.error and reply.result is None and "DELETE" in reply.text
    assert run_command(Command("sql", ""), prefs).error


def test_schema_viewer_lists_columns(prefs: Prefs) -> None:
    reply = run_command(Command("esquema", "pedidos"), prefs)
    assert "pedidos" in reply.text and "uf_entrega" in reply.text


def test_connection_lifecycle_never_shows_the_password(prefs: Prefs, pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:s3gr3d0@", 1)
    saved = run_command(Command("conectar", f"loja {url}"), prefs)
    assert "s3gr3d0" not in saved.text and "loja" in saved.text and "respondeu" in saved.text
    listed = run_command(Command("conexoes", ""), prefs)
    assert "loja" in listed.text and "s3gr3d0" not in listed.text
    assert "respondeu" in run_command(Command("testar", "loja"), prefs).text
    run_command(Command("usar", "loja"), prefs)
    assert prefs.connection_arg == "loja"
    assert "loja" in run_command(Command("remover", "loja"), prefs).text
    assert prefs.connection_arg is None
    assert run_command(Command("usar", "loja"), prefs).error  # gone: a pt-BR error, not an exception


def test_bad_input_is_a_message_not_a_crash(prefs: Prefs) -> None:
    assert run_command(Command("conectar", "só-um-argumento"), prefs).error
    assert run_command(Command("xyz", ""), prefs).error
    assert "Comandos" in run_command(Command("ajuda", ""), prefs).text


def test_diagnostics_show_last_turn_timings(prefs: Prefs) -> None:
    last = TurnTimings(stt_s=0.8, llm_first_token_s=0.3, sql_s=0.02, tts_first_audio_s=0.5, voice="pm_alex")
    last.tts_engine = "kokoro"
    text = run_command(Command("diagnostico", ""), prefs, last).text
    assert "transcrição (STT): 0.80" in text and "kokoro / pm_alex" in text and "nenhum configurado" in text


def test_diagnostics_show_dictionary_and_value_index(prefs: Prefs) -> None:
    text = run_command(Command("diagnostico", ""), prefs, None).text
    assert "**Contexto do modelo**" in text
    assert "dicionário pt↔en:" in text and "índice de valores:" in text


def test_a_typed_command_wins_over_a_stale_chip() -> None:
    from ui.commands import parse_command

    sql = "/sql SELECT uf, count(*) FROM clientes GROUP BY uf"
    assert parse_command(sql, "esquema") == Command("sql", "SELECT uf, count(*) FROM clientes GROUP BY uf")
    assert parse_command("pedidos clientes", "esquema") == Command("esquema", "pedidos clientes")  # chip + args
    assert parse_command("/nao-existe x", "esquema") == Command("esquema", "/nao-existe x")
    assert parse_command("/esquema", None) == Command("esquema", "")
    assert parse_command("quantos clientes?", None) is None


def test_diagnostics_name_speech_engines_not_python_classes(tmp_path) -> None:
    from tests.ui.conftest import real_models_dir

    settings = Settings(data_dir=tmp_path, models_dir=real_models_dir(), ollama_base_url="http://127.0.0.1:9")
    app = build_app(settings)
    runtime.configure(app.ui)
    prefs = Prefs.from_config(app.ui_config)
    before = run_command(Command("diagnostico", ""), prefs, None).text
    assert "reconhecimento de voz (STT): ainda não iniciado" in before
    speech = runtime.services().speech
    speech.transcriber()  # built, model not loaded yet (needs `vozbd models install`, done by `make test`)
    speech.synthesizer("espeak")
    text = run_command(Command("diagnostico", ""), prefs, None).text
    assert "reconhecimento de voz (STT): faster-whisper, modelo carrega na primeira fala" in text
    assert "síntese de voz (TTS): espeak" in text
    assert "Transcriber" not in text and "Synthesizer" not in text


def test_users_behind_a_login_proxy_cannot_add_url_connections(tmp_path, pg_url: str) -> None:
    settings = Settings(data_dir=tmp_path, ollama_base_url="http://127.0.0.1:9", model=None, ui_auth="header")
    app = build_app(settings)
    runtime.configure(app.ui)
    reply = run_command(Command("conectar", f"loja {pg_url}"), Prefs.from_config(app.ui_config))
    assert reply.error and "vozbd db add" in reply.text
    assert "loja" not in runtime.tool_context().registry.names()


def test_users_behind_a_login_proxy_cannot_remove_the_operators_connections(tmp_path, pg_url: str) -> None:
    """Red-team pass 2 (class 5): /remover was open to every user behind the proxy while /conectar was not."""
    settings = Settings(data_dir=tmp_path, ollama_base_url="http://127.0.0.1:9", model=None, ui_auth="header")
    app = build_app(settings)
    runtime.configure(app.ui)
    runtime.tool_context().registry.add("loja", pg_url)  # what the operator saved with vozbd db add
    reply = run_command(Command("remover", "loja"), Prefs.from_config(app.ui_config))
    assert reply.error and "vozbd db remove" in reply.text
    assert "loja" in runtime.tool_context().registry.names()


def test_diagnostics_say_which_provider_receives_what(tmp_path) -> None:
    connections = {"demo": {"policy": {"samples": False, "model_rows": 3, "masked_columns": ["*.email"]}}}
    settings = Settings(
        data_dir=tmp_path, ollama_base_url="http://127.0.0.1:9", model="openai/gpt-4.1-mini", connections=connections
    )
    app = build_app(settings)
    runtime.configure(app.ui)
    text = run_command(Command("diagnostico", ""), Prefs.from_config(app.ui_config), None).text
    section = text.split("**Para onde vão os dados**", 1)[1].split("\n\n", 1)[0]
    assert "OpenAI (serviço hospedado), fora da sua rede" in section and "⚠ o modelo recebe" in section
    assert "nenhum valor de exemplo" in section and "até 3 linhas" in section and "*.email" in section
    assert "o áudio não sai" in section
