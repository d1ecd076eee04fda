"""The per-connection value index: bounded build on real databases, column filter, matching, background cache."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tools.context import ToolContext, ValueIndexLimits
from tools.db.connect import get_engine, resolve_connection
from tools.schema_inspect import InspectSchemaInput, inspect_schema
from tools.schema_inspect.introspect import read_only
from tools.schema_inspect.tool import clear_schema_cache
from tools.values import build_index, ensure_index, match_values, question_values
from tools.values.service import value_cache


def _build(ctx: ToolContext, url: str, limits: ValueIndexLimits | None = None, column_filter=None):
    conn = resolve_connection(ctx, url)
    tables = inspect_schema(InspectSchemaInput(connection=url), ctx).tables
    with read_only(get_engine(ctx, conn), 10) as db:
        return build_index(db, conn.name, tables, limits or ValueIndexLimits(), column_filter)


@pytest.fixture
def demo_url(demo_sqlite: Path) -> str:
    return f"sqlite:///{demo_sqlite}"


def test_index_holds_distinct_text_values(tool_ctx: ToolContext, demo_url: str) -> None:
    index = _build(tool_ctx, demo_url)
    cities = {v.value for v in index.values if (v.table, v.column) == ("clientes", "cidade")}
    assert "Ribeirão Preto" in cities and len(cities) == len(set(cities))
    statuses = [v for v in index.values if (v.table, v.column) == ("pedidos", "status")]
    assert {v.value for v in statuses} >= {"entregue", "cancelado"} and all(v.complete for v in statuses)
    assert not index.truncated and index.columns_indexed > 10


@pytest.mark.parametrize(
    ("question", "hint", "kind"),
    [
        ("Quais clientes moram em Ribeirão Preto?", "clientes.cidade = 'Ribeirão Preto'", "exact"),
        ("quais clientes moram em ribeirao preto", "clientes.cidade = 'Ribeirão Preto'", "folded"),
        ("clientes de Ribeirao Peto", "clientes.cidade = 'Ribeirão Preto'", "fuzzy"),
        ("quantos pedidos foram cancelados?", "pedidos.status = 'cancelado'", "fuzzy"),
    ],
)
def test_matching_exact_folded_and_fuzzy(
    tool_ctx: ToolContext, demo_url: str, question: str, hint: str, kind: str
) -> None:
    matches = match_values(_build(tool_ctx, demo_url), question)
    found = {m.hint: m for m in matches}
    assert hint in found, [m.hint for m in matches]
    assert found[hint].kind == kind


def test_repeated_questions_match_the_same_and_a_new_value_is_seen(tool_ctx: ToolContext, demo_url: str) -> None:
    """Fuzzy neighbours of a question's words are remembered on the index; adding a value forgets them."""
    index = _build(tool_ctx, demo_url)
    question = "clientes de Ribeirao Peto"
    first = match_values(index, question)
    assert match_values(index, question) == first
    assert "clientes.cidade = 'Barimbondo'" not in {m.hint for m in match_values(index, "moram em Marimbondo")}
    index.add("clientes", "cidade", "Barimbondo", complete=False)
    assert "clientes.cidade = 'Barimbondo'" in {m.hint for m in match_values(index, "moram em Marimbondo")}


def test_numbers_and_stopwords_alone_match_nothing(tool_ctx: ToolContext, demo_url: str) -> None:
    index = _build(tool_ctx, demo_url)
    assert match_values(index, "qual o total de 2025 e de 42?") == []


def test_column_filter_keeps_denied_columns_out_and_unread(tool_ctx: ToolContext, demo_url: str) -> None:
    asked: list[tuple[str, str, str]] = []

    def policy(connection: str, table: str, column: str) -> bool:
        asked.append((connection, table, column))
        return not (table == "clientes" and column in ("cidade", "nome", "email"))

    index = _build(tool_ctx, demo_url, column_filter=policy)
    assert not any(v.table == "clientes" and v.column in ("cidade", "nome", "email") for v in index.values)
    assert ("clientes", "cidade") in {(t, c) for _, t, c in asked}
    assert index.columns_skipped >= 3
    assert all("clientes.cidade" not in m.hint for m in match_values(index, "clientes de Ribeirão Preto"))


def test_bounds_sample_high_cardinality_and_stop_early(tool_ctx: ToolContext, demo_url: str) -> None:
    sampled = _build(tool_ctx, demo_url, ValueIndexLimits(per_column=20, sample_high_cardinality=5))
    names = [v for v in sampled.values if (v.table, v.column) == ("clientes", "nome")]
    assert len(names) == 5 and not names[0].complete and sampled.columns_sampled > 0
    capped = _build(tool_ctx, demo_url, ValueIndexLimits(max_values=50))
    assert capped.truncated and len(capped) < 50 + 1000
    hurried = _build(tool_ctx, demo_url, ValueIndexLimits(time_budget_s=0))
    assert hurried.truncated and len(hurried) == 0


@pytest.mark.parametrize("url_fixture", ["demo_pg_url", "demo_mysql_url"])
def test_index_on_server_databases(tool_ctx: ToolContext, url_fixture: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(url_fixture)
    index = _build(tool_ctx, url)
    hints = [m.hint for m in match_values(index, "Quais clientes moram em Ribeirão Preto?")]
    assert "clientes.cidade = 'Ribeirão Preto'" in hints


def test_prompt_gets_value_hints_once_the_index_is_ready(tool_ctx: ToolContext, demo_url: str) -> None:
    tool_ctx.value_index = ValueIndexLimits(wait_s=30)
    params = InspectSchemaInput(connection=demo_url, question="Quais clientes moram em Ribeirão Preto?")
    text = inspect_schema(params, tool_ctx).compact
    assert "-- valores citados na pergunta" in text
    assert "clientes.cidade = 'Ribeirão Preto'" in text


def test_first_use_builds_in_the_background_without_waiting(tool_ctx: ToolContext, demo_url: str) -> None:
    tool_ctx.value_index = ValueIndexLimits(wait_s=0)
    conn = resolve_connection(tool_ctx, demo_url)
    tables = inspect_schema(InspectSchemaInput(connection=demo_url), tool_ctx).tables
    first = question_values(tool_ctx, conn, tables, "clientes de Ribeirão Preto")
    slot = value_cache(tool_ctx).get(conn.url.render_as_string(hide_password=False))
    assert slot is not None
    assert slot.ready.wait(30)
    assert first == [] or first[0].value == "Ribeirão Preto"
    later = question_values(tool_ctx, conn, tables, "clientes de Ribeirão Preto")
    assert later and later[0].hint == "clientes.cidade = 'Ribeirão Preto'"
    assert not [t for t in threading.enumerate() if t.name == "vozbd-value-index" and t.is_alive()]


def test_schema_cache_clear_drops_the_value_index(tool_ctx: ToolContext, demo_url: str) -> None:
    conn = resolve_connection(tool_ctx, demo_url)
    tables = inspect_schema(InspectSchemaInput(connection=demo_url), tool_ctx).tables
    assert ensure_index(tool_ctx, conn, tables, wait_s=30) is not None
    clear_schema_cache(tool_ctx, demo_url)
    assert len(value_cache(tool_ctx)) == 0


def test_disabled_index_never_reads_values(tool_ctx: ToolContext, demo_url: str) -> None:
    tool_ctx.value_index = ValueIndexLimits(enabled=False)
    conn = resolve_connection(tool_ctx, demo_url)
    assert question_values(tool_ctx, conn, [], "clientes de Ribeirão Preto") == []
    assert len(value_cache(tool_ctx)) == 0


def test_index_status_reports_each_state(tool_ctx: ToolContext, demo_url: str) -> None:
    from tools.values.service import index_status

    conn = resolve_connection(tool_ctx, demo_url)
    assert index_status(tool_ctx, conn).state == "not_built"
    tables = inspect_schema(InspectSchemaInput(connection=demo_url), tool_ctx).tables
    ensure_index(tool_ctx, conn, tables, wait_s=30)
    ready = index_status(tool_ctx, conn)
    assert ready.state == "ready" and ready.values > 1000 and ready.columns > 10
    tool_ctx.value_index = ValueIndexLimits(enabled=False)
    assert index_status(tool_ctx, conn).state == "off"


def test_other_inflections_of_a_value_word_match(tool_ctx: ToolContext, demo_url: str) -> None:
    hints = [m.hint for m in match_values(_build(tool_ctx, demo_url), "Quais pedidos a Jadlog extraviou?")]
    assert "entregas.status = 'extraviada'" in hints and "transportadoras.nome = 'Jadlog'" in hints


def test_a_state_named_in_full_hints_its_uf_code(tool_ctx: ToolContext, demo_url: str) -> None:
    hints = [m.hint for m in match_values(_build(tool_ctx, demo_url), "Quantos clientes temos em Minas Gerais?", 12)]
    assert "clientes.uf = 'MG'" in hints


@pytest.mark.parametrize("module", ["tools.values", "tools.values.match", "tools.memory", "tools.schema_inspect"])
def test_each_package_imports_first_in_a_fresh_interpreter(module: str) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_remembered_neighbours_never_cross_connections_or_outlive_a_rebuild(
    tool_ctx: ToolContext, demo_sqlite: Path, tmp_path: Path
) -> None:
    """A fuzzy word asked on connection A is remembered on A's index only: B (without that city) never hints it,
    and A's rebuilt index (the city renamed) hints the new name for the same question."""
    import shutil
    import sqlite3

    tool_ctx.value_index = ValueIndexLimits(wait_s=30)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    shutil.copy(demo_sqlite, a)
    shutil.copy(demo_sqlite, b)

    def rename(path: Path, new: str) -> None:
        db = sqlite3.connect(path)
        db.execute("UPDATE clientes SET cidade = ? WHERE cidade = 'Ribeirão Preto'", (new,))
        db.commit()
        db.close()

    def hints(path: Path) -> set[str]:
        url = f"sqlite:///{path}"
        conn = resolve_connection(tool_ctx, url)
        tables = inspect_schema(InspectSchemaInput(connection=url), tool_ctx).tables
        return {m.hint for m in question_values(tool_ctx, conn, tables, "clientes de Ribeirao Peto")}

    rename(b, "Ribeirópolis")
    assert "clientes.cidade = 'Ribeirão Preto'" in hints(a)
    assert "clientes.cidade = 'Ribeirão Preto'" not in hints(b)
    rename(a, "Ribeirão Pleto")
    clear_schema_cache(tool_ctx, f"sqlite:///{a}")
    assert "clientes.cidade = 'Ribeirão Pleto'" in hints(a)
    assert "clientes.cidade = 'Ribeirão Preto'" not in hints(a)
