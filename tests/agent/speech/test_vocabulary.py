"""Schema-aware recognition, the text part: correcting transcripts towards a database's stored names."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from agent.speech.base import Segment, Transcript
from agent.speech.metrics import entity_accuracy, entity_found
from agent.speech.vocabulary import (
    SpeechVocabulary,
    VocabularyLimits,
    apply_vocabulary,
    build_vocabulary,
    schema_words,
    sound_key,
)
from tools.db.demo import demo_db_path
from tools.schema_inspect.models import ColumnInfo, TableInfo

DATA = Path(__file__).resolve().parents[3] / "bench" / "data"
FOREIGN_SQL = DATA / "voice_eval_foreign.sql"
HELDOUT_SQL = DATA / "voice_eval_heldout.sql"
EVAL_SET = DATA / "voice_eval.yaml"


def _values(connection: sqlite3.Connection, columns: dict[str, list[str]]) -> list[str]:
    return [
        row[0]
        for table, names in columns.items()
        for name in names
        for row in connection.execute(f"SELECT DISTINCT {name} FROM {table}")
    ]


@pytest.fixture(scope="module")
def foreign() -> SpeechVocabulary:
    with sqlite3.connect(":memory:") as db:
        db.executescript(FOREIGN_SQL.read_text(encoding="utf-8"))
        values = _values(
            db,
            {
                "cooperados": ["nome", "municipio", "uf", "cultura"],
                "produtos": ["nome", "categoria"],
                "compradores": ["razao_social", "cidade"],
            },
        )
    return build_vocabulary("cooperativa", [], values)


@pytest.fixture(scope="module")
def heldout() -> SpeechVocabulary:
    with sqlite3.connect(":memory:") as db:
        db.executescript(HELDOUT_SQL.read_text(encoding="utf-8"))
        values = _values(
            db,
            {
                "clinicas": ["nome", "cidade", "uf"],
                "veterinarios": ["nome", "especialidade"],
                "medicamentos": ["nome", "laboratorio"],
                "atendimentos": ["especie"],
            },
        )
    return build_vocabulary("clinicas", [], values)


@pytest.fixture(scope="module")
def demo() -> SpeechVocabulary:
    with sqlite3.connect(demo_db_path()) as db:
        values = _values(
            db,
            {
                "clientes": ["nome", "cidade", "uf", "segmento", "email"],
                "produtos": ["nome"],
                "categorias": ["nome"],
                "transportadoras": ["nome"],
                "atendentes": ["nome", "equipe"],
                "pedidos": ["status", "canal"],
                "chamados": ["assunto", "categoria", "prioridade", "status"],
            },
        )
    return build_vocabulary("demo", [], values)


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        # Whisper-base's real mistakes on synthesized questions (bench/stt_bias.py --verbose)
        ("Mostre os cooperados de Shiki-shiki.", "Mostre os cooperados de Xique-Xique."),
        ("quais cooperados de Pindamoyangaba plantam", "quais cooperados de Pindamonhangaba plantam"),
        ("Liste as entregas do Otonial Brandão, para", "Liste as entregas do Otoniel Brandão, para"),
        ("Quantos latissínius mantiqueira pagaram", "Quantos Laticínios Mantiqueira pagaram"),
        ("Quantas entregues o birajar amoreira fez?", "Quantas entregues o Ubirajara Moreira fez?"),
        ("Qual comprador de jabote cabal recebeu", "Qual comprador de Jaboticabal recebeu"),
        ("A Jurema Cavalcanci vende para", "A Jurema Cavalcanti vende para"),
        ("Qual o preço médio da castanha do pará?", "Qual o preço médio da Castanha do Pará?"),
        ("em itaquakecetuba ou", "em Itaquaquecetuba ou"),
        # names heard as several unrelated words (compared joined, on a phonetic key with reduced vowels)
        ("Qual foi a última entrega, do deu classe fortado?", "Qual foi a última entrega, do Deoclécio Furtado?"),
        ("vendido para um impórioje kitiba?", "vendido para um Empório Jequitibá?"),
        ("Compare as vendas de licor, dijabuticaba e doce", "Compare as vendas de Licor de Jabuticaba e doce"),
        (
            "A Jurema Cavalcanti vende para distribuidor a Roeira.",
            "A Jurema Cavalcanti vende para Distribuidora Aroeira.",
        ),
        # a function word that is really the start of the name as misheard
        ("saíram? De que cheiraram o bem?!", "saíram? De Quixeramobim?!"),
        # a name is not inflected: a plural heard is the name
        ("cooperados plantam sisal, em itapipocas.", "cooperados plantam sisal, em Itapipoca."),
    ],
)
def test_corrects_misheard_names_to_the_stored_spelling(foreign: SpeechVocabulary, heard: str, expected: str) -> None:
    assert foreign.correct(heard).text == expected


@pytest.mark.parametrize(
    "question",
    [
        "Quantos pedidos foram cancelados em abril?",
        "Qual o ticket médio por estado no primeiro trimestre?",
        "Liste os doces mais vendidos e o total de cada um.",
        "Qual a média de quilos por entrega em setembro?",
        "Quem comprou mais no ano passado?",
        "Me diga o faturamento total por cidade.",
    ],
)
def test_leaves_questions_without_names_alone(foreign: SpeechVocabulary, demo: SpeechVocabulary, question: str) -> None:
    assert foreign.correct(question).text == question
    assert demo.correct(question).text == question


def test_never_changes_an_inflection_or_swallows_a_function_word(foreign: SpeechVocabulary) -> None:
    # "doces" and "castanhas" are stored categories: the singular the user said stays singular
    assert foreign.correct("Qual o doce mais vendido?").text == "Qual o doce mais vendido?"
    assert foreign.correct("cada castanha vale quanto?").text == "cada castanha vale quanto?"
    corrected = foreign.correct("cooperados de Pindamoyangaba")
    assert corrected.text == "cooperados de Pindamonhangaba"
    assert [(r.heard, r.value) for r in corrected.replacements] == [("Pindamoyangaba", "Pindamonhangaba")]


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("Quantos pedidos foram entregues em maio?", "maio"),  # not "Maceió"
        ("Compare Curitibanos e Blumenau.", "Curitibanos"),  # another town built on "Curitiba"
        ("A entrega atrasou três dias.", "atrasou"),  # not the stored status "atraso"
        ("Quantos chamados de troca tivemos?", "troca"),
    ],
)
def test_never_rewrites_ordinary_words_into_close_values(demo: SpeechVocabulary, heard: str, kept: str) -> None:
    corrected = demo.correct(heard)
    assert kept in corrected.text
    assert corrected.text == heard


def test_questions_said_right_are_left_alone_by_every_vocabulary(
    foreign: SpeechVocabulary, heldout: SpeechVocabulary, demo: SpeechVocabulary
) -> None:
    # The eval set's questions as written (stored spellings) against their own and the other databases'
    # vocabularies: nothing to correct, so any change is a false correction.
    questions = [
        q["text"]
        for db in yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))["databases"].values()
        for q in db["questions"]
    ]
    assert len(questions) >= 50
    changed = {
        (vocabulary.name, question): vocabulary.correct(question).text
        for vocabulary in (foreign, heldout, demo)
        for question in questions
        if vocabulary.correct(question).text != question
    }
    assert changed == {}


def test_a_lower_case_value_never_swallows_the_next_word(foreign: SpeechVocabulary) -> None:
    heard = "Quanto de cacau teve a Genoveva Albuquerque?"
    assert foreign.correct(heard).text == heard


def test_near_misses_are_values_a_span_came_close_to(foreign: SpeechVocabulary) -> None:
    # "Tangará" alone is the start of a stored value, not the value: never replaced, but a near miss
    correction = foreign.correct("Qual a produção de erva mate em Tangará?")
    assert correction.text == "Qual a produção de erva-mate em Tangará?"
    assert correction.near == ("Tangará da Serra",)
    assert foreign.correct("Qual o total de melde já está evendido?").near[:1] == ("Mel de Jataí",)
    # a transcript that names its values exactly has nothing to retry
    assert foreign.correct("Mostre os cooperados de Xique-Xique.").near == ()
    assert foreign.near_misses("Quem comprou mais no ano passado?") == []


def test_demo_vocabulary_keeps_names_but_not_emails_or_sentences(demo: SpeechVocabulary) -> None:
    texts = {t.text for t in demo.terms}
    assert {"Ribeirão Preto", "Jadlog", "Bruna Batista", "Fone de Ouvido Bluetooth Preto"} <= texts
    assert not any("@" in t or "?" in t for t in texts)
    assert demo.correct("Quantos clientes temos em Joaseiro do Norte?").text == (
        "Quantos clientes temos em Juazeiro do Norte?"
    )


def test_sound_key_folds_pt_br_spellings() -> None:
    assert sound_key("Xique-Xique") == sound_key("Shiki shiki")
    assert sound_key("Caiçara") == sound_key("Caissara")
    assert sound_key("Quixeramobim") == sound_key("Kixeramobin")


def test_prompt_is_bounded_and_starts_with_the_values_asked_for(foreign: SpeechVocabulary) -> None:
    prompt = foreign.prompt([t.text for t in foreign.terms])
    assert prompt.startswith("Iracema Tabajara, ")
    assert len(prompt) <= foreign.limits.prompt_tokens * 3


def test_schema_words_turn_identifiers_into_words() -> None:
    table = TableInfo(name="notas_fiscais", columns=[ColumnInfo(name="dataEmissao", type="DATE")])
    assert schema_words([table]) == ("notas fiscais", "data emissao")


def test_limits_drop_long_and_numeric_values() -> None:
    vocabulary = build_vocabulary(
        "x",
        [],
        ["ok", "12345678", "SKU-000123", "Uma frase longa demais para ser um nome de coisa", "Boa Vista"],
        VocabularyLimits(max_words=6),
    )
    assert [t.text for t in vocabulary.terms] == ["Boa Vista"]


def test_apply_vocabulary_keeps_what_was_heard(foreign: SpeechVocabulary) -> None:
    raw = Transcript("Mostre os cooperados de Shiki-shiki.", "pt", 0.8, (Segment(0, 2, "de Shiki-shiki.", -0.2),), 2, 1)
    corrected = apply_vocabulary(raw, foreign)
    assert corrected.text == "Mostre os cooperados de Xique-Xique."
    assert corrected.segments[0].text == "de Xique-Xique."
    assert corrected.heard == raw.text
    assert apply_vocabulary(raw, None) is raw


def test_entity_metrics_need_the_stored_spelling() -> None:
    assert entity_found("Xique-Xique", "cooperados de xique xique?")
    assert not entity_found("Xique-Xique", "cooperados de Chique-Chique")
    assert not entity_found("Guaratinguetá", "em Guaratingueta")
    assert entity_accuracy([(["Jadlog", "Ribeirão Preto"], "Jadlog em Ribeirão Preto"), (["Loggi"], "logi")]) == 2 / 3
