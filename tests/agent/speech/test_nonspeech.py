"""Whisper's transcripts of no speech (subtitle credits, sound annotations, hesitations, the no-speech token)."""

from __future__ import annotations

import pytest

from agent.speech.nonspeech import heard_no_speech, is_non_speech_text
from agent.speech.stt_whisper import collapse_repeats


@pytest.mark.parametrize(
    "text",
    [
        "Legendas pela comunidade Amara.org",
        "Legendas pela comunidade Amara.org.",
        "Inscreva-se no canal!",
        "Obrigado por assistir.",
        "[Música]",
        "(tosse)",
        "♪ ♪",
        "*risos*",
        "Hmm...",
        "Ahn.",
        "Ééé...",
        "Ah!",
        "",
        "...",
    ],
)
def test_no_speech_texts(text: str) -> None:
    assert is_non_speech_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "Quantos clientes temos em Campinas?",
        "Obrigado.",  # said to us after an answer: kept (only the no-speech token can drop it)
        "Tchau!",
        "Um.",  # a number
        "Sim.",
        "Não.",
        "E aí?",
        "Hum, quantos pedidos temos?",  # a hesitation before a question
        "(tosse) quantos pedidos temos?",
    ],
)
def test_speech_texts(text: str) -> None:
    assert not is_non_speech_text(text)


def test_the_no_speech_token_counts_only_when_the_decoding_is_unsure() -> None:
    assert heard_no_speech(0.79, -0.81)  # pink noise → "E aí?"
    assert heard_no_speech(0.51, -0.33)  # a breath → "O que é isso?"
    assert not heard_no_speech(0.61, -0.19)  # "Tchau!" at 10 dB SNR
    assert not heard_no_speech(0.24, -0.9)  # a question heard badly is still a question


def test_a_decoding_loop_is_collapsed_despite_punctuation_and_case() -> None:
    looped = "quantos clientes temos aí em Campinas? Quantos clientes temos aí em Campinas"
    assert collapse_repeats(looped) == "quantos clientes temos aí em Campinas?"
    assert collapse_repeats("Qual o total? Qual o total? Qual") == "Qual o total?"
    assert collapse_repeats("Quantos pedidos foram feitos em maio?") == "Quantos pedidos foram feitos em maio?"
