"""Fixtures for agent tests: the real graph, real tools and the real demo database, driven by a scripted model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.checkpoint import memory_checkpointer
from agent.llm.scripted import ScriptedChatModel
from agent.service import Agent, AgentConfig
from tools.context import ToolContext


@pytest.fixture
def make_agent(tool_ctx: ToolContext) -> Callable[..., Agent]:
    def make(model: ScriptedChatModel | None, *, ctx: ToolContext | None = None, **config: Any) -> Agent:
        checkpointer = config.pop("checkpointer", None) or memory_checkpointer()
        extra = {k: config.pop(k) for k in ("transcriber", "synthesizer_factory", "memory") if k in config}
        return Agent(ctx or tool_ctx, model, checkpointer=checkpointer, config=AgentConfig(**config), **extra)

    return make


@pytest.fixture
def writable_demo(tmp_path: Path, demo_sqlite: Path) -> Path:
    """A private, writable copy of the demo DB (to prove nothing can change it)."""
    target = tmp_path / "demo_rw.sqlite"
    target.write_bytes(demo_sqlite.read_bytes())
    return target
