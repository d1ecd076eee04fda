"""A connection's speech vocabulary, read from a real database through the schema cache and the value index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.speech.db_vocabulary import connection_vocabulary, vocabulary_or_none
from tools.context import ToolContext
from tools.errors import UnknownConnectionError
from tools.policy.model import ConnectionPolicy
from tools.schema_inspect.tool import clear_schema_cache
from vozbd.wiring import policy_column_filter

FOREIGN_SQL = Path(__file__).resolve().parents[3] / "bench" / "data" / "voice_eval_foreign.sql"


@pytest.fixture
def cooperativa(tool_ctx: ToolContext, tmp_path: Path) -> str:
    path = tmp_path / "cooperativa.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(FOREIGN_SQL.read_text(encoding="utf-8"))
    db.close()
    tool_ctx.registry.add("cooperativa", f"sqlite:///{path}")
    return "cooperativa"


def _texts(ctx: ToolContext, name: str) -> set[str]:
    return {t.text for t in connection_vocabulary(ctx, name, wait_s=30).terms}


def test_vocabulary_holds_the_stored_names_and_the_schema_words(tool_ctx: ToolContext, cooperativa: str) -> None:
    vocabulary = connection_vocabulary(tool_ctx, cooperativa, wait_s=30)
    texts = {t.text for t in vocabulary.terms}
    assert {"Pindamonhangaba", "Xique-Xique", "Mercearia Tupinambá", "Queijo Canastra", "guaraná"} <= texts
    assert {"cooperados", "razao social", "data entrega"} <= set(vocabulary.schema_words)
    assert vocabulary.correct("cooperados de Shiki-shiki").text == "cooperados de Xique-Xique"


def test_vocabulary_is_cached_and_refreshed_with_the_schema_cache(tool_ctx: ToolContext, cooperativa: str) -> None:
    first = connection_vocabulary(tool_ctx, cooperativa, wait_s=30)
    assert connection_vocabulary(tool_ctx, cooperativa, wait_s=30) is first
    clear_schema_cache(tool_ctx, cooperativa)
    assert connection_vocabulary(tool_ctx, cooperativa, wait_s=30) is not first


def test_policy_keeps_hidden_and_masked_values_out(tool_ctx: ToolContext, cooperativa: str) -> None:
    policies = {
        cooperativa: ConnectionPolicy(masked_columns=["cooperados.nome"], denied_columns=["compradores.razao_social"])
    }
    tool_ctx.policies, tool_ctx.column_filter = policies, policy_column_filter(policies)
    texts = _texts(tool_ctx, cooperativa)
    assert "Pindamonhangaba" in texts
    assert "Iracema Tabajara" not in texts  # masked column
    assert "Mercearia Tupinambá" not in texts  # denied column
    assert "razao social" not in connection_vocabulary(tool_ctx, cooperativa).schema_words


def test_samples_off_means_schema_words_only(tool_ctx: ToolContext, cooperativa: str) -> None:
    policies = {cooperativa: ConnectionPolicy(samples=False)}
    tool_ctx.policies, tool_ctx.column_filter = policies, policy_column_filter(policies)
    vocabulary = connection_vocabulary(tool_ctx, cooperativa, wait_s=30)
    assert len(vocabulary) == 0 and "cooperados" in vocabulary.schema_words


def test_demo_and_unknown_connections(tool_ctx: ToolContext) -> None:
    assert {"Ribeirão Preto", "Jadlog"} <= _texts(tool_ctx, "demo")
    with pytest.raises(UnknownConnectionError):
        connection_vocabulary(tool_ctx, "nao_existe")


def test_voice_paths_get_none_instead_of_an_error(tool_ctx: ToolContext, cooperativa: str) -> None:
    assert vocabulary_or_none(tool_ctx, "nao_existe") is None
    tool_ctx.registry.add("quebrada", "sqlite:////nao/existe/banco.sqlite")
    assert vocabulary_or_none(tool_ctx, "quebrada") is None
    assert vocabulary_or_none(tool_ctx, cooperativa) is not None
