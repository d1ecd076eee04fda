"""`vozbd db add --ask-password` in a real process: hidden prompt on a terminal (a pty), stdin without one.

No Python ``GetPassWarning`` and no English click "Aborted!" may reach the user in any of these cases.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

PASSWORD = "Pipe-Senha secreta 9931"
LEAKS = ("GetPassWarning", "may be echoed", "Aborted", "Traceback")
VOZBD = [sys.executable, "-c", "from vozbd.cli.app import run; run()"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
    environ |= {"VOZBD_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    return environ


def _saved_password(env: dict[str, str], name: str) -> str | None:
    from tools.db.registry import ConnectionRegistry

    data = Path(env["VOZBD_DATA_DIR"])
    registry = ConnectionRegistry(data / "vozbd.sqlite3", key_file=data / "secret.key")
    return registry.url_for(name).password if name in registry.names() else None


def _add(env: dict[str, str], tmp_path: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    url = "postgresql://leitor@127.0.0.1:5432/test"
    return subprocess.run(
        [*VOZBD, "db", "add", "pg", url, "--ask-password", "--no-test", *extra],
        input=stdin,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("stdin", [PASSWORD, PASSWORD + "\n", PASSWORD + "\r\n"])
def test_piped_stdin_is_the_password(env: dict[str, str], tmp_path: Path, stdin: str) -> None:
    proc = _add(env, tmp_path, stdin)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "salva" in output and "***" in output
    assert PASSWORD not in output and "Senha" not in output  # no prompt without a terminal
    assert not any(leak in output for leak in LEAKS), output
    assert _saved_password(env, "pg") == PASSWORD


@pytest.mark.parametrize("stdin", ["", "\n"])
def test_empty_stdin_is_a_usage_error_and_saves_nothing(env: dict[str, str], tmp_path: Path, stdin: str) -> None:
    proc = _add(env, tmp_path, stdin)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "entrada padrão" in output and "veio vazia" in output
    assert not any(leak in output for leak in LEAKS), output
    assert _saved_password(env, "pg") is None

    proc = _add(env, tmp_path, stdin, "--json")
    assert proc.returncode == 2
    error = json.loads(proc.stdout)
    assert error["error"] == "invalid_input" and error["detail"]["reason"] == "empty_stdin"


def _run_on_pty(env: dict[str, str], tmp_path: Path, keys: bytes) -> tuple[int, str]:
    """Run ``db add --ask-password`` with a pty as stdin/stdout/stderr; type ``keys`` once the prompt is shown."""
    master, slave = os.openpty()
    url = "postgresql://leitor@127.0.0.1:5432/test"
    # A new session has no controlling terminal, so getpass uses the pty on stdin and never the developer's one.
    proc = subprocess.Popen(
        [*VOZBD, "db", "add", "pg", url, "--ask-password", "--no-test"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    typed = False
    deadline = time.monotonic() + 60  # a hang guard only, nothing is timed
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every slave end closed, the process is done
                    break
                if not chunk:
                    break
                seen += chunk
            if not typed and b"Senha: " in seen:  # getpass turned echo off before writing the trailing space
                os.write(master, keys)
                typed = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert typed, seen
    return code, seen.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pty")
def test_terminal_prompt_is_hidden(env: dict[str, str], tmp_path: Path) -> None:
    code, output = _run_on_pty(env, tmp_path, PASSWORD.encode() + b"\n")
    assert code == 0, output
    assert "salva" in output and PASSWORD not in output  # the terminal did not echo it
    assert not any(leak in output for leak in LEAKS), output
    assert _saved_password(env, "pg") == PASSWORD


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pty")
def test_terminal_prompt_cancelled_with_ctrl_d(env: dict[str, str], tmp_path: Path) -> None:
    code, output = _run_on_pty(env, tmp_path, b"\x04")
    assert code == 130, output
    assert "Cancelado" in output and "nada foi salvo" in output
    assert not any(leak in output for leak in LEAKS), output
    assert _saved_password(env, "pg") is None
