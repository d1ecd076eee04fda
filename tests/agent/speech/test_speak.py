"""The one streaming speak API: incremental clause splitting, voice fallback, ordered chunks, interruption."""

from __future__ import annotations

import asyncio

import numpy as np

from agent.speech.base import AudioChunk
from agent.speech.speak import SentenceStream, SpeakOptions, aspeak, clauses_of, pick_voice, speak
from agent.speech.textprep import speech_chunks
from agent.speech.tts_espeak import EspeakSynthesizer

ANSWER = (
    "Encontrei **32 pedidos** atrasados em São Paulo no mês passado, a maioria de eletrônicos. "
    "O ticket médio foi R$ 1.234,56.\n\n```sql\nSELECT count(*) FROM pedidos;\n```\nQuer ver por cidade?"
)


def _tokens(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_streamed_tokens_give_the_same_clauses_as_the_whole_answer() -> None:
    stream = SentenceStream()
    streamed: list[str] = []
    for token in _tokens(ANSWER):
        streamed += stream.feed(token)
    streamed += stream.flush()
    assert streamed == clauses_of(ANSWER)
    assert " ".join(streamed) == " ".join(speech_chunks(ANSWER))
    assert len(streamed[0]) <= 45  # the first clause is short
    assert not any("SELECT" in c or "pedidos;" in c for c in streamed)  # code is never spoken
    assert "mil duzentos e trinta e quatro reais e cinquenta e seis centavos" in " ".join(streamed)


def test_a_sentence_is_released_as_soon_as_it_is_complete() -> None:
    stream = SentenceStream()
    assert stream.feed("Temos 12 pedidos") == []
    assert stream.feed(" atrasados.") == []  # the end mark is not followed by whitespace yet
    assert stream.feed(" E") == ["Temos doze pedidos atrasados."]
    assert stream.flush() == ["E."]


def test_numbers_are_not_split_at_their_dots_and_fences_wait_for_their_end() -> None:
    stream = SentenceStream()
    assert stream.feed("O total foi R$ 1.234") == []
    first = stream.feed(",56 hoje.\n```sql\nSELECT 1. ")
    assert " ".join(first) == "O total foi mil duzentos e trinta e quatro reais e cinquenta e seis centavos hoje."
    rest = stream.feed("FROM x;\n```\nFim. ") + stream.flush()
    assert "SELECT" not in " ".join(rest) and rest[-1] == "Fim."


def test_only_the_first_clause_of_the_stream_is_shortened() -> None:
    long = "Os clientes de Minas Gerais fizeram mais pedidos do que os de qualquer outro estado no último ano. "
    clauses = clauses_of(long + long)
    assert len(clauses[0]) <= 45
    assert len(clauses) == 3  # head + tail of the first sentence, then the second sentence whole


def test_voice_fallback_in_one_place(espeak: EspeakSynthesizer) -> None:
    assert pick_voice(espeak, "pt-br+f3") == "pt-br+f3"
    assert pick_voice(espeak, "pf_dora") == "pt-br+f3"  # Kokoro alias
    assert pick_voice(espeak, "nao-existe") == espeak.default_voice
    assert pick_voice(espeak, None) == espeak.default_voice


def test_speak_yields_ordered_audible_chunks_at_the_requested_rate(espeak: EspeakSynthesizer) -> None:
    chunks = list(speak(espeak, _tokens(ANSWER), SpeakOptions(voice="nao-existe", sample_rate=24_000)))
    assert [c.text for c in chunks] == clauses_of(ANSWER)
    for chunk in chunks:
        assert chunk.sample_rate == 24_000 and chunk.samples.dtype == np.float32
        assert float(np.max(np.abs(chunk.samples))) > 0.01


async def test_aspeak_streams_while_text_arrives_and_stops_on_interrupt(espeak: EspeakSynthesizer) -> None:
    async def tokens():
        for token in _tokens(ANSWER, 8):
            await asyncio.sleep(0)
            yield token

    whole = [c.text async for c in aspeak(espeak, tokens())]
    assert whole == clauses_of(ANSWER)

    interrupt = asyncio.Event()
    got: list[AudioChunk] = []
    async for chunk in aspeak(espeak, tokens(), interrupt=interrupt):
        got.append(chunk)
        interrupt.set()  # barge-in right after the first chunk
    assert len(got) == 1 and got[0].text == whole[0]


def test_a_streamed_numbered_list_is_not_read_with_its_numbers() -> None:
    """Models answer with numbered lists; streamed, "1." was cut as a sentence and spoken ("um. São Paulo...")
    while the whole answer drops the markers."""
    answer = "Os maiores:\n1. São Paulo: 173\n2. Rio: 65\n10. Minas: 49\n\nEsses são os três maiores."
    for size in (1, 2, 3, 5):
        stream = SentenceStream()
        streamed: list[str] = []
        for token in _tokens(answer, size):
            streamed += stream.feed(token)
        streamed += stream.flush()
        assert " ".join(streamed) == " ".join(clauses_of(answer)), size
        assert not any(c.split()[0] in ("um.", "dois.", "dez.") for c in streamed), streamed
