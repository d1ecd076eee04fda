"""What the surface attack tests share: the real app's clients on clean settings and the tokens they use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.vozbd.api.conftest import app_clients
from tools.context import ToolContext
from vozbd.settings import Settings

TOKEN = "token-longo-da-api-0123456789"
MCP_TOKEN = "token-longo-do-mcp-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def base_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def serve(base_settings: Settings, tool_ctx: ToolContext) -> Iterator[Callable[..., TestClient]]:
    with app_clients(base_settings, tool_ctx) as make:
        yield make
