from __future__ import annotations

import pytest

from agent.speech.metrics import corpus_wer, edit_distance, normalize_words, wer


def test_normalisation_spells_numbers_and_drops_accents() -> None:
    assert normalize_words("Encontrei 32 pedidos em São Paulo!") == normalize_words(
        "encontrei trinta e dois pedidos em sao paulo"
    )


def test_wer_counts_substitutions_insertions_deletions() -> None:
    assert wer("um dois três quatro", "um dois três quatro") == 0.0
    assert wer("um dois três quatro", "um dez três quatro") == pytest.approx(0.25)
    assert wer("um dois três quatro", "um dois três") == pytest.approx(0.25)
    assert wer("um dois", "um dois três quatro") == pytest.approx(1.0)
    assert wer("", "") == 0.0 and wer("", "algo") == 1.0
    assert edit_distance(["a", "b", "c"], ["c", "b", "a"]) == 2


def test_corpus_wer_weights_by_reference_length() -> None:
    pairs = [("um dois três quatro", "um dois três quatro"), ("cinco", "seis")]
    assert corpus_wer(pairs) == pytest.approx(1 / 5)
