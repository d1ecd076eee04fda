"""Every CLI flag that overrides a setting goes through ``vozbd.cli.context.load_app`` and reaches the App.

One case per flag: the command runs until it builds its ``App``, which is captured instead. Then the bug this
design fixes, end to end: ``vozbd serve --host 0.0.0.0`` must reach the MCP endpoint (a LAN Host header is
accepted, not answered with 421) and the REST API's no-token warning.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.mcp_server.helpers import INITIALIZE, MCP_HEADERS
from vozbd import wiring
from vozbd.cli.app import app
from vozbd.settings import Settings

SUITE = Path(__file__).resolve().parents[2] / "evals" / "suites"


class Captured(Exception):
    def __init__(self, settings: Settings):
        self.settings = settings


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    for name in ("VOZBD_HOST", "VOZBD_PORT", "VOZBD_MODEL", "VOZBD_DEFAULT_DB", "VOZBD_API_TOKEN", "VOZBD_MCP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _captured_settings(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Settings:
    def capture(settings: Settings, **_: Any) -> wiring.App:
        raise Captured(settings)

    monkeypatch.setattr(wiring, "build_app", capture)
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, Captured), (result.exit_code, result.output, result.exception)
    return result.exception.settings


def _suite() -> str:
    return str(next(SUITE.glob("*.yaml")))


FLAGS: list[tuple[list[str], str, object]] = [
    (["ui", "--host", "0.0.0.0"], "host", "0.0.0.0"),
    (["ui", "--port", "8123"], "port", 8123),
    (["ui", "--db", "vendas"], "default_db", "vendas"),
    (["ui", "--model", "scripted/x.yaml"], "model", "scripted/x.yaml"),
    (["serve", "--host", "0.0.0.0"], "host", "0.0.0.0"),
    (["serve", "--port", "8124"], "port", 8124),
    (["mcp", "--http", "--host", "0.0.0.0"], "host", "0.0.0.0"),
    (["query", "--max-rows", "7", "SELECT 1"], "max_rows", 7),
    (["query", "--timeout", "2.5", "SELECT 1"], "query_timeout_s", 2.5),
    (["schema", "--prompt", "--budget", "900"], "schema_prompt_budget", 900),
    (["ask", "--model", "scripted/x.yaml", "quantos clientes?"], "model", "scripted/x.yaml"),
    (["chat", "--model", "scripted/x.yaml"], "model", "scripted/x.yaml"),
    (["speak", "oi", "-o", "out.wav", "--engine", "espeak"], "tts_engine", "espeak"),
    (["speak", "oi", "-o", "out.wav", "--voice", "pm_alex"], "tts_voice", "pm_alex"),
    (["speak", "oi", "-o", "out.wav", "--speed", "1.5"], "tts_speed", 1.5),
    (["voices", "--engine", "espeak"], "tts_engine", "espeak"),
]


@pytest.mark.parametrize(("args", "field", "value"), FLAGS, ids=[" ".join(a[:3]) for a, _, _ in FLAGS])
def test_flag_reaches_the_settings(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], field: str, value: object
) -> None:
    settings = _captured_settings(monkeypatch, args)
    assert getattr(settings, field) == value
    assert getattr(Settings(), field) != value  # the default differs, so the flag did the work


def test_eval_run_model_flag_reaches_the_settings(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _captured_settings(monkeypatch, ["eval", "run", _suite(), "--model", "scripted/x.yaml"])
    assert settings.model == "scripted/x.yaml"


def test_bad_flag_value_is_a_usage_error_not_a_traceback(isolated: Path) -> None:
    result = CliRunner().invoke(app, ["query", "--max-rows", "999999999", "SELECT 1"])
    assert result.exit_code == 2, result.output
    assert "VOZBD_MAX_ROWS" in result.output and "Traceback" not in result.output


def test_query_max_rows_caps_the_real_result(isolated: Path) -> None:
    result = CliRunner().invoke(app, ["query", "--json", "--max-rows", "2", "SELECT id FROM clientes"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["row_count"] == 2 and body["truncated"] is True


def _served_app(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[Any, dict[str, Any]]:
    calls: dict[str, Any] = {}

    def fake_run(asgi_app: Any, **kwargs: Any) -> None:
        calls.update(app=asgi_app, **kwargs)

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setattr("vozbd.cli.serve.check_port_free", lambda *_: None)  # nothing listens: the port may be taken
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return calls["app"], calls


def _initialize_status(asgi_app: Any, lan_host: str) -> int:
    with TestClient(asgi_app, base_url=f"http://{lan_host}") as client:
        return client.post("/mcp/", json=INITIALIZE, headers=MCP_HEADERS).status_code


def test_serve_host_reaches_the_exposure_check_and_mcp(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``--host 0.0.0.0`` must reach every surface: without credentials the server refuses to start; with
    ``--insecure`` it warns and MCP accepts the LAN Host header a phone sends (before, it still answered 421)."""
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("must not serve"))
    refused = CliRunner().invoke(app, ["serve", "--no-ui", "--host", "0.0.0.0"])
    assert refused.exit_code == 2, refused.output
    assert "Erro:" in refused.output and "Traceback" not in refused.output

    lan = "192.168.0.10:8000"
    with caplog.at_level(logging.WARNING):
        exposed, calls = _served_app(monkeypatch, ["serve", "--no-ui", "--host", "0.0.0.0", "--insecure"])
    assert calls["host"] == "0.0.0.0"
    assert "--insecure: serving on 0.0.0.0" in caplog.text
    assert _initialize_status(exposed, lan) == 200

    local, calls = _served_app(monkeypatch, ["serve", "--no-ui"])
    assert calls["host"] == "127.0.0.1"
    assert _initialize_status(local, lan) in (400, 421)  # DNS-rebinding protection on a loopback host


def test_refusal_off_loopback_offers_only_the_fixes_of_that_command(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vozbd ui` serves the chat alone: leaving it out (--no-ui, a `vozbd serve` flag) is no fix there."""
    for name in ("VOZBD_UI_AUTH", "VOZBD_API_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("must not serve"))
    ui = CliRunner().invoke(app, ["ui", "--host", "0.0.0.0", "--no-browser"])
    assert ui.exit_code == 2, ui.output
    assert "VOZBD_UI_AUTH" in ui.output and "--insecure" in ui.output and "--no-ui" not in ui.output
    serve = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert serve.exit_code == 2, serve.output
    for fix in ("VOZBD_UI_AUTH", "--no-ui", "VOZBD_MCP_TOKEN", "--no-mcp", "VOZBD_API_KEYS", "--insecure"):
        assert fix in serve.output, (fix, serve.output)


def test_serve_passes_the_loop_and_http_settings_to_uvicorn(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``auto`` by default (uvloop and httptools when installed); an explicit choice reaches uvicorn as is."""
    _, calls = _served_app(monkeypatch, ["serve", "--no-ui", "--no-mcp"])
    assert (calls["loop"], calls["http"]) == ("auto", "auto")
    monkeypatch.setenv("VOZBD_SERVER_LOOP", "asyncio")
    monkeypatch.setenv("VOZBD_SERVER_HTTP", "h11")
    _, calls = _served_app(monkeypatch, ["serve", "--no-ui", "--no-mcp"])
    assert (calls["loop"], calls["http"]) == ("asyncio", "h11")


def test_serve_refuses_a_loop_that_is_not_installed(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uvloop named explicitly where it cannot be imported (Windows): a pt-BR error and exit 2, not a traceback."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvloop" else real(name, *a))
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("must not serve"))
    monkeypatch.setenv("VOZBD_SERVER_LOOP", "uvloop")
    result = CliRunner().invoke(app, ["serve", "--no-ui", "--no-mcp"])
    assert result.exit_code == 2, result.output
    assert "VOZBD_SERVER_LOOP=uvloop" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("extra", [[], ["--only", "speech"]])
def test_serve_on_a_port_already_taken_is_a_clear_error(isolated: Path, extra: list[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port), "--no-ui", "--no-mcp", *extra])
    assert result.exit_code == 1, result.output  # uvicorn exited 3, our unsafe-SQL code
    assert f"a porta {port} em 127.0.0.1 já está em uso" in " ".join(result.output.split())
    assert "vozbd:" not in result.output  # no banner for a server that never started
