"""`vozbd ui`: options reach the Settings the chat is served with (the server itself is not started here)."""

from __future__ import annotations

from typer.testing import CliRunner

from vozbd.cli.app import app


def test_ui_help_lists_options() -> None:
    result = CliRunner().invoke(app, ["ui", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--model", "--no-browser"):
        assert option in result.output


def test_ui_passes_options_to_the_server(monkeypatch, tmp_path) -> None:
    calls = {}

    def fake_serve(services, *, host, port, open_browser, **_):
        calls.update(services=services, host=host, port=port, open_browser=open_browser)

    monkeypatch.setattr("ui.launch.serve", fake_serve)
    monkeypatch.setattr("vozbd.cli.ports.check_port_free", lambda *_: None)  # nothing listens: the port may be taken
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(tmp_path / "no-models"))
    args = ["ui", "--port", "8123", "--db", "vendas", "--model", "scripted/x.yaml", "--no-browser"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "http://localhost:8123" in result.output
    assert "vozbd models install" in result.output  # no speech models in that folder
    assert calls["port"] == 8123 and calls["open_browser"] is False and calls["host"] == "127.0.0.1"
    services = calls["services"]
    assert services.config.default_db == "vendas" and services.tool_ctx.default_connection == "vendas"
    assert services.agents.llm.model == "scripted/x.yaml" and services.agents.default_model() == "scripted/x.yaml"


def test_password_auth_without_password_is_a_usage_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VOZBD_UI_AUTH", "password")
    monkeypatch.delenv("VOZBD_UI_PASSWORD", raising=False)
    monkeypatch.setattr("ui.launch.serve", lambda *a, **k: (_ for _ in ()).throw(AssertionError("must not serve")))
    result = CliRunner().invoke(app, ["ui", "--no-browser"])
    assert result.exit_code == 2 and "VOZBD_UI_PASSWORD" in result.output


def test_a_port_already_taken_is_a_clear_error(monkeypatch, tmp_path) -> None:
    import socket

    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("ui.launch.serve", lambda *a, **k: (_ for _ in ()).throw(AssertionError("must not serve")))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["ui", "--port", str(port), "--no-browser"])
    assert result.exit_code == 1, result.output  # uvicorn's "[Errno 98]" then exit 0
    assert f"a porta {port} em 127.0.0.1 já está em uso" in " ".join(result.output.split())
