"""Opt-in live tests: one real question per provider, through the real graph on the demo database.

Each runs only when its key (or local server) is available; they never run in the default offline suite.
"""

from __future__ import annotations

import sqlite3

import pytest

from agent.checkpoint import memory_checkpointer
from agent.llm.registry import get_provider, load_chat_model
from agent.service import Agent
from tools.context import ToolContext
from tools.db.demo import demo_db_path
from vozbd.wiring import llm_config, load_settings

pytestmark = pytest.mark.live

LIVE = [
    "openai/gpt-4.1-mini",
    "gemini/gemini-2.5-flash",
    "openrouter/deepseek/deepseek-chat",
    "ollama/qwen2.5:7b",
    "openai-compatible/",
]


@pytest.mark.parametrize("spec", LIVE)
async def test_live_provider_answers_with_sql(spec: str, tool_ctx: ToolContext) -> None:
    settings = llm_config(load_settings())
    provider, _, model = spec.partition("/")
    status = get_provider(provider).status(settings, check=provider in ("ollama", "openai-compatible"))
    if not status.configured or status.reachable is False:
        pytest.skip(f"{provider} not configured/reachable: {status.detail}")
    if provider == "ollama" and model not in status.models:
        pytest.skip(f"ollama model {model} not pulled")
    agent = Agent(tool_ctx, load_chat_model(spec, settings), checkpointer=memory_checkpointer())
    turn = await agent.ask(question="Quantos clientes temos cadastrados?", conversation_id="live")
    with sqlite3.connect(demo_db_path()) as conn:
        expected = conn.execute("SELECT COUNT(*) FROM clientes").fetchone()[0]
    assert turn.sql_runs, turn.answer
    assert str(expected) in turn.answer.replace(".", "")
