"""Verified examples and glossary: the store on SQLite and PostgreSQL, skeletons, few-shot and term selection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tools.errors import InvalidInputError, UnsafeQueryError
from tools.memory import (
    Example,
    MemoryStore,
    metadata,
    record_verified_example,
    select_examples,
    select_terms,
    sql_skeleton,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    else:
        engine = sa.create_engine(request.getfixturevalue("pg_url"))
        metadata.drop_all(engine)
    yield MemoryStore(engine)
    if request.param == "postgresql":
        metadata.drop_all(engine)
    engine.dispose()


def test_examples_round_trip_and_replace_same_question(store: MemoryStore) -> None:
    first = store.add_example("demo", "Quantos clientes de SP?", "SELECT COUNT(*) FROM clientes WHERE uf = 'SP'")
    assert first.skeleton == "SELECT COUNT(*) FROM _ WHERE _ = '_'"
    store.add_example("vendas", "Quantos clientes de SP?", "SELECT 1")
    again = store.add_example("demo", "quantos clientes de sp", "SELECT COUNT(*) FROM clientes WHERE uf='SP'")
    assert again.id == first.id
    assert [e.sql for e in store.list_examples("demo")] == ["SELECT COUNT(*) FROM clientes WHERE uf='SP'"]
    assert len(store.list_examples()) == 2
    assert store.remove_example(first.id) and not store.remove_example(first.id)
    assert [e.connection for e in store.list_examples()] == ["vendas"]


def test_only_read_only_sql_is_remembered(store: MemoryStore) -> None:
    with pytest.raises(UnsafeQueryError):
        store.add_example("demo", "apague tudo", "DELETE FROM clientes", dialect="sqlite")
    with pytest.raises(InvalidInputError):
        store.add_example("demo", "   ", "SELECT 1")
    with pytest.raises(InvalidInputError):
        store.add_example("demo", "?!", "SELECT 1")
    assert store.list_examples() == []


def test_record_verified_example_is_what_the_thumbs_up_calls(store: MemoryStore) -> None:
    example = record_verified_example(
        store, "demo", "Quantos pedidos?", "SELECT COUNT(*) FROM pedidos", dialect="sqlite"
    )
    assert example.source == "ui" and store.list_examples("demo")[0].question == "Quantos pedidos?"


def test_glossary_round_trip(store: MemoryStore) -> None:
    store.add_term("demo", "atrasado", "entregas.data_entrega > entregas.data_prevista")
    store.add_term("demo", "Atrasado", "entregas.dias_atraso > 0")
    store.add_term("demo", "ticket médio", "AVG(pedidos.valor_total)")
    terms = store.list_terms("demo")
    assert [(t.term, t.definition) for t in terms] == [
        ("Atrasado", "entregas.dias_atraso > 0"),
        ("ticket médio", "AVG(pedidos.valor_total)"),
    ]
    assert store.remove_term("demo", "ATRASADO") and not store.remove_term("demo", "atrasado")


def test_for_prompt_reads_one_connections_terms_and_examples_in_one_session(store: MemoryStore) -> None:
    store.add_term("demo", "ticket médio", "AVG(pedidos.valor_total)")
    store.add_term("vendas", "atrasado", "dias_atraso > 0")
    store.add_example("demo", "Quantos clientes?", "SELECT COUNT(*) FROM clientes")
    store.add_example("vendas", "Quantos pedidos?", "SELECT COUNT(*) FROM pedidos")
    store.add_term("demo", "atrasado", "dias_atraso > 0")
    store.add_example("demo", "Quais cidades?", "SELECT DISTINCT cidade FROM clientes")
    checkouts: list[object] = []
    statements: list[str] = []
    sa.event.listen(store.engine, "checkout", lambda *args: checkouts.append(args))
    sa.event.listen(store.engine, "before_cursor_execute", lambda _c, _cur, sql, *rest: statements.append(sql))
    terms, examples = store.for_prompt("demo")
    assert len(statements) == 1  # both tables in one statement (one round trip)
    assert terms == store.list_terms("demo") and [t.term for t in terms] == ["atrasado", "ticket médio"]
    assert examples == store.list_examples("demo")
    assert [e.question for e in examples] == ["Quantos clientes?", "Quais cidades?"]
    assert len(checkouts) == 3  # for_prompt: one session; then list_terms and list_examples: one each
    assert store.for_prompt("nenhuma") == ([], [])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SELECT nome FROM clientes WHERE cidade = 'Recife'", "SELECT c.name FROM customers AS c WHERE c.city = 'X'"),
        ("SELECT uf, COUNT(*) FROM clientes GROUP BY uf", "SELECT a, b, COUNT(*) FROM t GROUP BY a, b"),
        ("SELECT * FROM t LIMIT 5", "select * from u limit 10"),
    ],
)
def test_skeleton_ignores_names_literals_and_aliases(a: str, b: str) -> None:
    assert sql_skeleton(a, "sqlite") == sql_skeleton(b, "sqlite")


def test_skeleton_of_unparsable_sql_keeps_keywords() -> None:
    assert sql_skeleton("SELECT ??? FROM WHERE", "sqlite") == "SELECT FROM WHERE"


def _examples(pairs: list[tuple[str, str]]) -> list[Example]:
    now = dt.datetime.now(dt.UTC)
    return [Example(i, "demo", q, s, sql_skeleton(s, "sqlite"), "cli", now) for i, (q, s) in enumerate(pairs)]


def test_few_shot_prefers_the_same_shape_and_covers_different_skeletons() -> None:
    examples = _examples(
        [
            ("Quantos pedidos foram cancelados?", "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'"),
            ("Quantos pedidos foram entregues?", "SELECT COUNT(*) FROM pedidos WHERE status = 'entregue'"),
            ("Quantos clientes temos por estado?", "SELECT uf, COUNT(*) FROM clientes GROUP BY uf"),
            ("Quais os 5 produtos mais caros?", "SELECT nome FROM produtos ORDER BY preco DESC LIMIT 5"),
            ("Qual o valor médio dos pedidos?", "SELECT AVG(valor_total) FROM pedidos"),
        ]
    )
    chosen = select_examples("Quantos chamados foram resolvidos?", examples, k=3)
    assert chosen[0].example.skeleton == "SELECT COUNT(*) FROM _ WHERE _ = '_'"
    assert len({c.example.skeleton for c in chosen}) == 3
    top = select_examples("Quais as 3 transportadoras mais rápidas?", examples, k=1)
    assert top[0].example.question == "Quais os 5 produtos mais caros?"
    assert select_examples("qualquer coisa", [], k=3) == []


def test_glossary_terms_are_selected_by_the_words_the_question_uses() -> None:
    now = dt.datetime.now(dt.UTC)
    from tools.memory import GlossaryTerm

    terms = [
        GlossaryTerm(1, "demo", "atrasado", "entregas.dias_atraso > 0", now),
        GlossaryTerm(2, "demo", "ticket médio", "AVG(pedidos.valor_total)", now),
        GlossaryTerm(3, "demo", "cliente ativo", "pedido nos últimos 90 dias", now),
    ]
    assert [t.id for t in select_terms("quantos pedidos atrasados em SP?", terms)] == [1]
    assert [t.id for t in select_terms("qual o ticket medio por canal?", terms)] == [2]
    assert select_terms("quantos produtos temos?", terms) == []
