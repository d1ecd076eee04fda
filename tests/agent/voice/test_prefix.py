"""Joining a reused head transcript with the tail recognized after it (pure logic, no model)."""

from __future__ import annotations

from agent.speech.base import Segment, Transcript
from agent.voice.prefix import RATE, Heard, joined, reusable


def _transcript(text: str, duration: float, confidence: float = 0.8, heard: str | None = None) -> Transcript:
    return Transcript(text, "pt", confidence, (Segment(0.0, duration, text, -0.2),), duration, 0.1, heard)


def test_the_head_loses_the_stop_the_pause_gave_it_and_a_function_word_its_capital() -> None:
    head, tail = _transcript("Quantos pedidos de Porto Alegre.", 2.0), _transcript("E qual o valor total?", 1.5, 0.6)
    both = joined(head, tail)
    assert both.text == "Quantos pedidos de Porto Alegre e qual o valor total?"
    assert both.duration_s == 3.5 and abs(both.confidence - (0.8 * 2 + 0.6 * 1.5) / 3.5) < 1e-3
    assert [(s.start, s.end) for s in both.segments] == [(0.0, 2.0), (2.0, 3.5)]
    assert both.processing_s == tail.processing_s  # the time spent after the pause, not the head's


def test_names_keep_their_case_and_a_question_keeps_its_mark() -> None:
    assert joined(_transcript("Quantos pedidos temos em", 1.5), _transcript("São Paulo?", 1.0)).text == (
        "Quantos pedidos temos em São Paulo?"
    )
    assert joined(_transcript("Quantos clientes temos?", 1.5), _transcript("E pedidos?", 1.0)).text == (
        "Quantos clientes temos? E pedidos?"
    )


def test_what_the_vocabulary_corrected_keeps_what_was_heard() -> None:
    both = joined(_transcript("Vendas em Xique-Xique", 1.5, heard="Vendas em Chique Chique"), _transcript("hoje", 1.0))
    assert both.text == "Vendas em Xique-Xique hoje" and both.heard == "Vendas em Chique Chique hoje"
    assert joined(_transcript("a", 1.0), _transcript("b", 1.0)).heard is None


def test_a_head_is_reused_only_for_the_same_utterance_and_long_enough_parts() -> None:
    heard = Heard(turn=3, samples=int(1.5 * RATE), transcript=_transcript("Quantos pedidos", 1.5))
    assert reusable(heard, 3, int(3.5 * RATE)) is heard
    assert reusable(heard, 4, int(3.5 * RATE)) is None  # another utterance
    assert reusable(heard, 3, int(2.5 * RATE)) is None  # the tail would be a word or two: misheard alone
    short = Heard(turn=3, samples=int(0.5 * RATE), transcript=_transcript("Quantos", 0.5))
    assert reusable(short, 3, int(3.5 * RATE)) is None  # too short a head to trust on its own
    assert reusable(None, 3, int(3.5 * RATE)) is None
