"""The server builds the configured model's agent before it answers; a model that cannot be loaded does not stop
it (the first question reports it, as before)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.factory import AgentFactory
from tools.context import ToolContext
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    built: list[str | None] = []
    build = AgentFactory.build

    def recording(self: AgentFactory, model: str | None = None, **kwargs: object) -> object:
        built.append(model)
        return build(self, model, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AgentFactory, "build", recording)
    return built


def test_agent_is_built_at_start_and_reused(
    api_settings: Settings, tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _builds(monkeypatch)
    app = create_app(build_app(api_settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False)
    assert built == []
    with TestClient(app, base_url="http://localhost") as client:
        assert built == [None]  # during start-up, before any request
        response = client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"})
        assert response.status_code == 200, response.text
        assert built == [None]


def test_unloadable_model_does_not_stop_the_server(
    tmp_path: Path, tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", model="nenhum/modelo")
    app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=False)
    with TestClient(app, base_url="http://localhost") as client:
        assert client.get("/health").status_code == 200
        response = client.post("/api/v1/ask", json={"question": "Quantos clientes temos?"})
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_provider"
