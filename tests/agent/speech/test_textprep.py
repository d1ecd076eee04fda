from __future__ import annotations

import pytest

from agent.speech.textprep import (
    number_words,
    parse_number,
    prepare_for_speech,
    split_for_speech,
    strip_markdown,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R$ 1.234,56", "mil duzentos e trinta e quatro reais e cinquenta e seis centavos"),
        ("R$ 1,00", "um real"),
        ("R$ 0,50", "cinquenta centavos"),
        ("R$ 2,01", "dois reais e um centavo"),
        ("R$ 1.000.000,00", "um milhão de reais"),
        ("R$ 3,5 milhões", "três vírgula cinco milhões de reais"),
        ("R$ 2 mil", "dois mil reais"),
        ("US$ 10", "dez dólares"),
        ("12%", "doze por cento"),
        ("12,5 %", "doze vírgula cinco por cento"),
        ("-3%", "menos três por cento"),
        ("30/06/2026", "trinta de junho de dois mil e vinte e seis"),
        ("2026-06-30", "trinta de junho de dois mil e vinte e seis"),
        ("1/3/24", "primeiro de março de dois mil e vinte e quatro"),
        ("14:30", "catorze horas e trinta minutos"),
        ("1h", "uma hora"),
        ("21h05", "vinte e uma horas e cinco minutos"),
        ("123.456.789-09", "um dois três quatro cinco seis sete oito nove zero nove"),
        ("12.345.678/0001-90", "um dois três quatro cinco seis sete oito zero zero zero um nove zero"),
        ("01310-100", "zero um três um zero um zero zero"),
        ("1º", "primeiro"),
        ("2ª", "segunda"),
        ("21º", "vigésimo primeiro"),
        ("1.234", "mil duzentos e trinta e quatro"),
        ("1,234,567", "um milhão duzentos e trinta e quatro mil quinhentos e sessenta e sete"),
        ("1,234,567.5", "um milhão duzentos e trinta e quatro mil quinhentos e sessenta e sete vírgula cinco"),
        ("1.234.567,5", "um milhão duzentos e trinta e quatro mil quinhentos e sessenta e sete vírgula cinco"),
        ("3.14", "três vírgula catorze"),
        ("0,05", "zero vírgula zero cinco"),
        ("-5", "menos cinco"),
        ("2026", "dois mil e vinte e seis"),
    ],
)
def test_numbers_are_read_naturally(text: str, expected: str) -> None:
    assert prepare_for_speech(f"Valor {text} hoje.") == f"Valor {expected} hoje."


def test_no_digit_survives() -> None:
    spoken = prepare_for_speech("Foram 3x mais vendas no A4, pedido nº 42 e 10 itens em 2 lojas.")
    assert not any(c.isdigit() for c in spoken)
    assert "número quarenta e dois" in spoken


def test_hyphen_between_words_is_not_a_minus() -> None:
    assert prepare_for_speech("O pedido-123 chegou.") == "O pedido cento e vinte e três chegou."


def test_parse_number_formats() -> None:
    assert parse_number("1.234,56") == (1234, "56")
    assert parse_number("1,234.56") == (1234, "56")
    assert parse_number("1,5") == (1, "5")
    assert parse_number("1.234") == (1234, None)
    assert number_words("1,5") == "um vírgula cinco"


def test_sql_is_never_read_aloud() -> None:
    answer = (
        "Foram 32 pedidos. Usei a consulta SELECT count(*) FROM pedidos WHERE estado = 'SP'. "
        "Veja: `SELECT 1`.\n\n```sql\nSELECT *\nFROM pedidos;\n```\nAté mais."
    )
    spoken = prepare_for_speech(answer)
    assert "select" not in spoken.lower()
    assert "from" not in spoken.lower()
    assert spoken.startswith("Foram trinta e dois pedidos.")
    assert spoken.endswith("Até mais.")


def test_other_sql_statements_are_dropped() -> None:
    for sql in (
        "WITH t AS (SELECT 1) SELECT * FROM t",
        "INSERT INTO x VALUES (1)",
        "DELETE FROM x",
        "CREATE TABLE y (a int)",
    ):
        assert prepare_for_speech(f"Olá. {sql}. Tchau.") == "Olá. Tchau."


def test_markdown_table_is_not_read() -> None:
    answer = "Os estados com mais pedidos:\n\n| estado | pedidos |\n|---|---|\n| SP | 120 |\n| MG | 80 |\n\nSP lidera."
    spoken = prepare_for_speech(answer)
    assert "cento e vinte" not in spoken
    assert "|" not in spoken
    assert spoken == "Os estados com mais pedidos: SP lidera."


def test_markdown_is_stripped() -> None:
    answer = (
        "# Resumo\n\n**Total**: _32_ pedidos, veja [o painel](http://x.local/p).\n"
        "- item um\n- item dois\n1. primeiro\n> citação\n---\n![img](a.png) fim"
    )
    spoken = prepare_for_speech(answer)
    for mark in ("#", "*", "_", "[", "](", "http", ">", "---", "img"):
        assert mark not in spoken, mark
    assert "Resumo." in spoken
    assert "Total: trinta e dois pedidos, veja o painel." in spoken
    assert "item um. item dois." in spoken


def test_unclosed_code_fence_is_dropped() -> None:
    assert prepare_for_speech("Resposta pronta.\n```sql\nSELECT * FROM pedidos") == "Resposta pronta."


def test_only_code_gives_nothing() -> None:
    assert prepare_for_speech("```\nSELECT 1\n```") == ""
    assert prepare_for_speech("   ") == ""


def test_strip_markdown_keeps_plain_text() -> None:
    assert strip_markdown("Tudo certo") == "Tudo certo."


def test_split_first_chunk_is_short() -> None:
    text = prepare_for_speech(
        "Encontrei 32 pedidos em São Paulo no mês passado, sendo a maioria de eletrônicos, com ticket médio "
        "de R$ 250,00. O segundo estado foi Minas Gerais. Fim."
    )
    chunks = split_for_speech(text)
    assert chunks[0] == "Encontrei trinta e dois pedidos em São Paulo"
    assert chunks[-2:] == ["O segundo estado foi Minas Gerais.", "Fim."]
    assert " ".join(chunks) == text  # nothing lost, nothing reordered


def test_split_long_sentence_without_punctuation() -> None:
    text = " ".join(["palavra"] * 100) + "."
    chunks = split_for_speech(text, max_chars=80)
    assert all(len(c) <= 80 for c in chunks)
    assert " ".join(chunks) == text


def test_split_ignores_punctuation_only_pieces() -> None:
    assert split_for_speech("... !") == []
    assert split_for_speech("") == []


def test_first_chunk_prefers_a_comma_then_a_phrase_start() -> None:
    assert split_for_speech("No mês passado, encontrei trinta e dois pedidos em São Paulo.")[0] == "No mês passado,"
    head = split_for_speech("O faturamento de junho foi de mil duzentos e trinta e quatro reais.")[0]
    assert head == "O faturamento de junho foi"  # cut before "de", never inside "trinta e quatro"
    assert split_for_speech("Sim.") == ["Sim."]


def test_first_chunk_never_cuts_inside_a_number() -> None:
    text = prepare_for_speech("Em junho foram 1.482 pedidos, 8% a mais que em maio.")
    assert split_for_speech(text)[0] == "Em junho foram mil quatrocentos e oitenta e dois pedidos,"
    text = prepare_for_speech("Foram exatamente 1.482.377 pedidos registrados hoje.")
    head = split_for_speech(text)[0]
    assert not head.endswith(" e") and len(head) <= 45


def test_a_short_first_chunk_is_the_words_before_the_first_number() -> None:
    # The voice loop asks for a word or two: the first audio is then ~1 s of speech to synthesize, not ~2 s.
    assert split_for_speech("Encontrei quarenta e dois pedidos nessa situação.", first_max_chars=20) == [
        "Encontrei",
        "quarenta e dois pedidos nessa situação.",
    ]
    head = split_for_speech("Temos mil quatrocentos e oitenta e dois clientes cadastrados.", first_max_chars=20)[0]
    assert head == "Temos"  # the number stays whole in the next clause
    text = "Em junho foram mil quatrocentos e oitenta e dois pedidos, oito por cento a mais."
    assert split_for_speech(text, first_max_chars=24)[0] == "Em junho foram"
    assert split_for_speech("Claro, temos quarenta clientes.", first_max_chars=24)[0] == "Claro,"


def test_a_short_first_chunk_never_ends_with_a_function_word_or_splits_a_number() -> None:
    assert split_for_speech("O ticket médio é de trezentos reais.", first_max_chars=20)[0] == "O ticket médio é"
    head = split_for_speech("Foram cerca de quarenta pedidos em maio.", first_max_chars=24)[0]
    assert head == "Foram cerca de quarenta"  # never "Foram cerca de |", and the number is not cut
    assert split_for_speech("É quarenta e dois.", first_max_chars=24) == ["É quarenta e dois."]
    text = "Foram exatamente mil quatrocentos e oitenta e dois pedidos registrados hoje."
    head = split_for_speech(text, first_max_chars=24)[0]
    assert head == "Foram exatamente" and not head.endswith(" e")


def test_the_chat_first_chunk_keeps_its_length() -> None:
    # Only a short limit (the voice loop's) cuts before a number; the chat's default still speaks more at once.
    text = "Encontrei quarenta e dois pedidos nessa situação."
    assert split_for_speech(text)[0] == "Encontrei quarenta e dois pedidos nessa"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-R$ 1.234,56", "menos mil duzentos e trinta e quatro reais e cinquenta e seis centavos"),
        ("R$ -5,00", "menos cinco reais"),
        ("R$-5", "menos cinco reais"),
        ("2026-12-05T14:30:00Z", "cinco de dezembro de dois mil e vinte e seis às catorze horas e trinta minutos"),
        ("2026-12-05 14:30:00.1234", "cinco de dezembro de dois mil e vinte e seis às catorze horas e trinta minutos"),
        ("2026-12-05T08:05:00-03:00", "cinco de dezembro de dois mil e vinte e seis às oito horas e cinco minutos"),
        ("-3°C", "menos três graus Celsius"),
        ("1 °C", "um grau Celsius"),
        ("1° lugar", "primeiro lugar"),
        ("500 ml", "quinhentos mililitros"),
        ("1 L", "um litro"),
        ("1,5 kg", "um vírgula cinco quilos"),
        ("300g", "trezentos gramas"),
        ("80 km/h", "oitenta quilômetros por hora"),
        ("120 m²", "cento e vinte metros quadrados"),
        ("3 m", "três metros"),
        ("3 mil", "três mil"),
        ("2020-2024", "dois mil e vinte a dois mil e vinte e quatro"),
        ("18-25 anos", "dezoito a vinte e cinco anos"),
        ("98765-4321", "nove oito sete seis cinco quatro três dois um"),
        ("3456-7890", "três quatro cinco seis sete oito nove zero"),
        ("5000-6000", "cinco mil a seis mil"),
    ],
)
def test_signed_money_timestamps_temperatures_and_units_are_read_naturally(text: str, expected: str) -> None:
    assert prepare_for_speech(f"Valor {text} hoje.") == f"Valor {expected} hoje."


def test_numbers_too_big_for_words_are_read_digit_by_digit() -> None:
    """A SUM over a big table can pass num2words' 10**18 limit: the synthesis must not crash on it."""
    spoken = prepare_for_speech("O total foi 1.000.000.000.000.000.000.000 e R$ 2.000.000.000.000.000.000,00.")
    assert spoken.startswith("O total foi um zero zero") and "dois zero zero" in spoken
    assert not any(c.isdigit() for c in spoken)


def test_emoji_are_not_read_by_name() -> None:
    assert prepare_for_speech("Ótimo 🎉👍 temos ✅ 42 clientes 😀 no 🇧🇷.") == "Ótimo temos quarenta e dois clientes no."
    assert prepare_for_speech("✅🎉") == ""


def test_words_in_scripts_a_pt_br_voice_cannot_read_are_skipped() -> None:
    """espeak-ng (Kokoro's phonemizer too) names each such character: "cirílico M, cirílico o..."."""
    spoken = prepare_for_speech("Os clientes Москва Trading, 北京 e مرحبا compraram 3 vezes; a variação Δ foi de 5%.")
    assert spoken == "Os clientes Trading, e compraram três vezes; a variação Δ foi de cinco por cento."
    assert prepare_for_speech("北京") == ""
