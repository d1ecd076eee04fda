"""Fixtures for MCP server tests: a data dir with a saved PostgreSQL connection (with a password) and a PDF."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import make_url

from mcp_server.config import MCPConfig
from tests.fixtures_pdf import accents_pdf
from tools.context import ToolContext
from tools.db.connect import dispose_engines
from vozbd.settings import Settings
from vozbd.wiring import build_tool_context, mcp_config

SECRET = "s3cr3t-senha-mcp"
"""Password put in the saved PostgreSQL URL (trust auth ignores it); must never appear in any MCP output."""


@dataclass
class McpData:
    data_dir: Path
    settings: Settings
    ctx: ToolContext
    pg_url: str
    """The demo database in PostgreSQL, saved as ``loja_pg`` (with SECRET as password)."""


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"mcp_token": None, "mcp_connections": ["*"], **overrides}
    return Settings(data_dir=data_dir, _env_file=None, **values)  # type: ignore[arg-type]  # test overrides


def make_config(data_dir: Path, **overrides: object) -> MCPConfig:
    """The MCP server's config as ``vozbd.wiring`` builds it from these settings."""
    return mcp_config(make_settings(data_dir, **overrides))


@pytest.fixture
def mcp_data(tmp_path: Path, demo_pg_url: str) -> Iterator[McpData]:
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir)
    ctx = build_tool_context(settings)
    with_secret = make_url(demo_pg_url).set(password=SECRET).render_as_string(hide_password=False)
    ctx.registry.add("loja_pg", with_secret, allow_privileged=True)  # the superuser test database
    ctx.registry.add("fora_do_ar", f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:9/nada")
    accents_pdf(settings.uploads_dir / "relatorio.pdf")
    yield McpData(data_dir, settings, ctx, demo_pg_url)
    dispose_engines(ctx)
