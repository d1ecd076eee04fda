"""Per-chat preferences, the microphone buffer and slash-command parsing (no browser, no Chainlit)."""

from __future__ import annotations

from ui.commands import Command, parse_command
from ui.prefs import Prefs, TurnTimings
from ui.voice import PcmBuffer
from vozbd.settings import Settings
from vozbd.wiring import ui_config


def test_prefs_start_from_settings_and_apply_panel_values(tmp_path) -> None:
    prefs = Prefs.from_config(ui_config(Settings(data_dir=tmp_path, tts_voice="pm_alex", ui_auto_speak=False)))
    assert (prefs.voice, prefs.auto_speak, prefs.connection_arg, prefs.connection_label) == (
        "pm_alex",
        False,
        None,
        "demo",
    )
    changed = prefs.apply({"voice": "pf_dora", "speed": "1.3", "connection": "vendas", "auto_speak": True})
    assert sorted(changed) == ["auto_speak", "connection", "speed", "voice"]
    assert prefs.speed == 1.3 and prefs.connection_arg == "vendas"
    assert prefs.apply({"voice": "pf_dora"}) == []
    prefs.apply({"connection": "demo"})
    assert prefs.connection_arg is None


def test_pcm_buffer_restores_order_by_elapsed_time() -> None:
    buffer = PcmBuffer(sample_rate=24000)
    buffer.add(342.0, b"\x03\x00")
    buffer.add(0.0, b"\x01\x00")
    buffer.add(171.0, b"\x02\x00")
    assert buffer.pcm() == b"\x01\x00\x02\x00\x03\x00"
    assert buffer.duration_s == 3 / 24000


def test_parse_command() -> None:
    assert parse_command("/sql SELECT 1") == Command("sql", "SELECT 1")
    assert parse_command("  /Ajuda ") == Command("ajuda", "")
    assert parse_command("SELECT 1", command="sql") == Command("sql", "SELECT 1")
    assert parse_command("Quantos clientes?") is None
    assert parse_command("/usr/bin é um caminho") is None  # a path, not a command
    assert parse_command("//comentário") is None


def test_turn_timings_log_line() -> None:
    line = TurnTimings(stt_s=0.5, sql_s=0.012, voice="pf_dora").to_log()
    assert "stt_s=0.500" in line and "llm_first_token_s=-" in line and "voice=pf_dora" in line


def test_url_connection_is_masked_and_kept_by_the_panel(tmp_path) -> None:
    prefs = Prefs.from_config(ui_config(Settings(data_dir=tmp_path, default_db="postgresql://ana:s3nh4@db:5432/loja")))
    assert "s3nh4" not in prefs.connection_label and "db:5432/loja" in prefs.connection_label
    assert prefs.connection_choice == "url-atual"
    assert prefs.apply({"connection": "url-atual"}) == []
    assert prefs.connection_arg == "postgresql://ana:s3nh4@db:5432/loja"
