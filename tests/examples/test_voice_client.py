"""examples/voice_client.py run as the README shows: a mistake is one line saying what is wrong, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.netutil import free_port

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "voice_client.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CLIENT), *args], capture_output=True, text=True, timeout=60)


def _wav(tmp_path: Path) -> Path:
    import wave

    path = tmp_path / "pergunta.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(bytes(3200))
    return path


@pytest.mark.parametrize("name", ["nao_existe.wav", "texto.wav"])
def test_a_file_that_is_not_a_wav_is_named(tmp_path: Path, name: str) -> None:
    (tmp_path / "texto.wav").write_text("isto não é áudio")
    result = _run(str(tmp_path / name))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{name}: not a readable WAV file" in result.stderr


def test_a_server_that_is_not_there_is_named(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{free_port()}/api/v1/voice"
    result = _run(str(_wav(tmp_path)), "--url", url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{url}: cannot talk to the server (ConnectionRefusedError" in result.stderr
