"""Fixtures for the REST API: a real app (real tools, demo DB, scripted model, SQLite memory) per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tools.context import ToolContext
from vozbd.server import create_app
from vozbd.settings import Settings
from vozbd.wiring import build_app

SCRIPT = Path(__file__).parent / "api_script.yaml"
KEY_ANA = "ana:token-da-ana-0123456789"
KEY_BIA = "bia:token-da-bia-0123456789"
ANA = {"Authorization": "Bearer token-da-ana-0123456789"}
BIA = {"Authorization": "Bearer token-da-bia-0123456789"}


@pytest.fixture
def api_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return Settings(data_dir=tmp_path / "data", model=f"scripted/{SCRIPT}")


@contextmanager
def app_clients(base: Settings, tool_ctx: ToolContext) -> Iterator[Callable[..., TestClient]]:
    """``make(**overrides)``: a started TestClient of the real app on ``base`` settings with ``overrides`` (settings
    fields), sharing ``tool_ctx``; every client is closed at the end."""
    clients: list[TestClient] = []

    def make(
        *, mount_mcp: bool = False, insecure: bool = False, base_url: str = "http://localhost:8000", **overrides: Any
    ) -> TestClient:
        settings = base.model_copy(update=overrides)
        app = create_app(build_app(settings, tool_ctx=tool_ctx), mount_ui=False, mount_mcp=mount_mcp, insecure=insecure)
        client = TestClient(app, base_url=base_url)
        client.__enter__()
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.__exit__(None, None, None)


@pytest.fixture
def make_client(api_settings: Settings, tool_ctx: ToolContext) -> Iterator[Callable[..., TestClient]]:
    with app_clients(api_settings, tool_ctx) as make:
        yield make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def keyed(make_client: Callable[..., TestClient]) -> TestClient:
    """API with two named keys; ana is an admin."""
    return make_client(api_keys=[KEY_ANA, KEY_BIA], api_admins=["ana"])
