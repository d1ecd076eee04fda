"""`vozbd models`, `transcribe`, `speak`, `voices` through typer's CliRunner, on the real models."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.speech import models
from vozbd.cli import models as models_cli
from vozbd.cli import speech as speech_cli

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    models_cli.register(app)
    speech_cli.register(app)
    return app


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli-models")
    models.install(directory)
    return directory


@pytest.fixture
def env(installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(installed))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path


def test_models_install_is_idempotent_and_status_reports_ok(env: Path, installed: Path) -> None:
    result = runner.invoke(_app(), ["models", "install"])
    assert result.exit_code == 0, result.output
    assert "já presente" in result.output
    result = runner.invoke(_app(), ["models", "status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["models_dir"] == str(installed)
    assert all(f["checksum_ok"] for f in report["files"])
    assert report["engines"]["kokoro"]["available"] and report["engines"]["espeak"]["available"]
    assert "llm_providers" in report


def test_models_status_shows_a_corrupt_file(env: Path, installed: Path, tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "copy"
    (copy / "kokoro" / "voices").mkdir(parents=True)
    for name in models.VOICE_NAMES:
        data = (installed / "kokoro" / "voices" / f"{name}.bin").read_bytes()
        (copy / "kokoro" / "voices" / f"{name}.bin").write_bytes(data[:-4] + b"\x00\x00\x80\x7f")
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(copy))
    result = runner.invoke(_app(), ["models", "status"])
    assert result.exit_code == 0, result.output
    assert "CORROMPIDO" in result.output and "ausente" in result.output


def test_speak_then_transcribe(env: Path) -> None:
    out = env / "resposta.wav"
    result = runner.invoke(
        _app(), ["speak", "Encontrei **32** pedidos em São Paulo.", "-o", str(out), "--engine", "espeak"]
    )
    assert result.exit_code == 0, result.output
    assert "primeiro áudio em" in result.output
    with wave.open(str(out)) as reader:
        assert reader.getnframes() > reader.getframerate()
    result = runner.invoke(_app(), ["transcribe", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["file"] == str(out) and payload["language"] == "pt" and payload["text"]
    assert {"confidence", "segments", "duration_s", "processing_s"} <= set(payload)


def test_speak_errors_exit_codes(env: Path) -> None:
    out = str(env / "x.wav")
    assert runner.invoke(_app(), ["speak", "oi", "-o", out, "--voice", "ninguem"]).exit_code == 2
    assert runner.invoke(_app(), ["speak", "oi", "-o", out, "--engine", "festival"]).exit_code == 2
    assert runner.invoke(_app(), ["speak", "```SELECT 1```", "-o", out, "--engine", "espeak"]).exit_code == 2


def test_transcribe_bad_file_exit_2(env: Path) -> None:
    bad = env / "bad.wav"
    bad.write_bytes(b"not audio at all" * 64)
    result = runner.invoke(_app(), ["transcribe", str(bad)])
    assert result.exit_code == 2
    assert "Erro (audio_invalid)" in result.output


def test_transcribe_goes_on_past_a_bad_file_and_names_it(env: Path) -> None:
    good = env / "boa.wav"
    spoken = runner.invoke(_app(), ["speak", "Quantos clientes temos?", "-o", str(good), "--engine", "espeak"])
    assert spoken.exit_code == 0, spoken.output
    bad = env / "ruim.wav"
    bad.write_bytes(b"not audio at all" * 64)
    result = runner.invoke(_app(), ["transcribe", str(good), str(bad), str(env / "falta.wav"), str(good), "--json"])
    assert result.exit_code == 2, result.output  # a bad input among them: the usage code, after all of them
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(bad), str(env / "falta.wav"), str(good)]
    assert [line.get("error") for line in lines] == [None, "audio_invalid", "audio_not_found", None]
    assert "clientes" in lines[3]["text"].lower()  # the file after the bad ones was transcribed (it stopped at 2)


def test_transcribe_without_models_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOZBD_MODELS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    result = runner.invoke(_app(), ["transcribe", str(audio), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == "model_missing"


def test_voices(env: Path) -> None:
    result = runner.invoke(_app(), ["voices", "--json"])
    assert result.exit_code == 0, result.output
    assert [v["id"] for v in json.loads(result.stdout)] == ["pf_dora", "pm_alex", "pm_santa"]
    result = runner.invoke(_app(), ["voices", "--engine", "espeak"])
    assert "pt-br+f3" in result.output


def test_transcribe_db_takes_a_database_url_and_corrects_towards_its_names(env: Path) -> None:
    """`--db` takes a URL typed by the operator (as its help says), not only a saved name."""
    import sqlite3

    foreign = Path(__file__).resolve().parents[2] / "bench" / "data" / "voice_eval_foreign.sql"
    path = env / "cooperativa.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(foreign.read_text(encoding="utf-8"))
    db.close()
    audio = env / "pergunta.wav"
    spoken = runner.invoke(
        _app(), ["speak", "Quantos cooperados moram em Pindamonhangaba?", "-o", str(audio), "--engine", "kokoro"]
    )
    assert spoken.exit_code == 0, spoken.output
    result = runner.invoke(_app(), ["transcribe", str(audio), "--db", f"sqlite:///{path}", "--json"])
    assert result.exit_code == 0, result.output
    assert "Pindamonhangaba" in json.loads(result.stdout)["text"]


def test_transcribe_too_long_names_the_setting_that_raises_the_limit(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.setenv("VOZBD_STT_MAX_SECONDS", "2")
    audio = env / "longo.ogg"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=300:r=16000", "-t", "5", str(audio)],
        check=True,
    )
    result = runner.invoke(_app(), ["transcribe", str(audio), "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["error"] == "audio_too_long" and "VOZBD_STT_MAX_SECONDS" in payload["message"]


def test_transcribe_reads_standard_input_as_dash(env: Path) -> None:
    spoken = env / "pergunta.wav"
    result = runner.invoke(_app(), ["speak", "Quantos clientes temos?", "-o", str(spoken), "--engine", "kokoro"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(_app(), ["transcribe", "-", "--json"], input=spoken.read_bytes())
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["file"] == "-" and "clientes" in payload["text"].lower()
    empty = runner.invoke(_app(), ["transcribe", "-", "--json"], input=b"")
    assert empty.exit_code == 2 and json.loads(empty.stdout)["error"] == "audio_empty"
