"""Early speech: the first streamed sentence is spoken before the answer is complete, the rest afterwards."""

from __future__ import annotations

import pytest

from ui.turn import first_sentence, remainder_after


@pytest.mark.parametrize(
    ("streamed", "expected"),
    [
        ("Temos 42 pedidos atrasados em São Paulo. A maioria", "Temos 42 pedidos atrasados em São Paulo."),
        ("Temos 42 pedidos atrasados em São Paulo.", None),  # nothing after the dot yet: maybe "São Paulo.5"?
        ("O faturamento foi de R$ 1.234,56 em maio", None),  # a thousands dot is not a sentence end
        ("O faturamento foi de R$ 1.234,56 em maio! Em abril", "O faturamento foi de R$ 1.234,56 em maio!"),
        ("Sim. Foram 12 chamados urgentes? Não", "Sim. Foram 12 chamados urgentes?"),  # "Sim." alone is too short
        ("", None),
    ],
)
def test_first_sentence(streamed: str, expected: str | None) -> None:
    assert first_sentence(streamed) == expected


def test_remainder_after_the_spoken_sentence() -> None:
    answer = "Temos 42 pedidos atrasados em São Paulo. A maioria é da transportadora Rápido Nordeste."
    assert remainder_after(answer, "Temos 42 pedidos atrasados em São Paulo.") == (
        "A maioria é da transportadora Rápido Nordeste."
    )


def test_remainder_is_the_whole_answer_when_the_spoken_part_was_a_preamble() -> None:
    answer = "São 42 pedidos atrasados."
    assert remainder_after(answer, "Vou consultar o banco de dados.") == answer
    assert remainder_after(answer, "") == answer
