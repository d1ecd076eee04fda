"""The FreeDict pt<->en map: reading dictd files, symmetric stems, absence, and its effect on table ranking."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tools.context import DEFAULT_DICT_DIRS
from tools.schema_inspect import TableInfo
from tools.schema_inspect.bilingual import load_dictionary
from tools.schema_inspect.models import ColumnInfo
from tools.schema_inspect.relevance import identifier_tokens, rank_tables
from tools.schema_inspect.text import stem

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(number: int) -> str:
    digits = ""
    while True:
        digits = _B64[number % 64] + digits
        number //= 64
        if not number:
            return digits


def write_dictd(folder: Path, name: str, entries: dict[str, str]) -> None:
    """A dictd dictionary like FreeDict's: ``name.index`` (word, base64 offset, length) + gzip ``name.dict.dz``."""
    folder.mkdir(parents=True, exist_ok=True)
    body = b""
    index = ["00databaseshort\tA\tB"]
    for headword, text in entries.items():
        chunk = f"{headword} /ipa/\n{text}\n".encode()
        index.append(f"{headword}\t{_b64(len(body))}\t{_b64(len(chunk))}")
        body += chunk
    (folder / f"{name}.index").write_text("\n".join(index) + "\n", encoding="utf-8")
    (folder / f"{name}.dict.dz").write_bytes(gzip.compress(body))


@pytest.fixture
def dict_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "dictd"
    write_dictd(
        folder,
        "freedict-por-eng",
        {"vôo": "flight", "cão": "1. dog\n2. trigger", "o pé": "foot", "bicicleta": "bike, cycle, bicycle"},
    )
    write_dictd(folder, "freedict-eng-por", {"semester": "semestre", "professional": "profissional, perito"})
    return folder


def _table(name: str, *columns: str) -> TableInfo:
    return TableInfo(name=name, columns=[ColumnInfo(name=c, type="TEXT") for c in columns])


def test_reads_both_directions_into_symmetric_stems(dict_dir: Path) -> None:
    dictionary = load_dictionary([dict_dir])
    assert len(dictionary.sources) == 2
    assert stem("flights") in dictionary.translate(stem("voos"))
    assert stem("voo") in dictionary.translate(stem("flight"))
    assert stem("dogs") in dictionary.translate(stem("cães"))
    assert stem("semesters") in dictionary.translate(stem("semestre"))
    assert stem("profissionais") in dictionary.translate(stem("professional"))


def test_missing_folder_gives_an_empty_dictionary(tmp_path: Path) -> None:
    dictionary = load_dictionary([tmp_path / "nothing-here"])
    assert len(dictionary) == 0 and dictionary.sources == ()


def test_corrupt_dictionary_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "freedict-por-eng.index").write_text("voo\tA\tZZ\n", encoding="utf-8")
    (folder / "freedict-por-eng.dict.dz").write_bytes(b"not gzip")
    assert len(load_dictionary([folder])) == 0


def test_dictionary_ranks_english_tables_for_words_the_lexicon_lacks(dict_dir: Path) -> None:
    tables = [_table("airports", "code", "city"), _table("bicycles", "frame_size", "color"), _table("dogs", "breed")]
    question = "quantas bicicletas vermelhas temos?"
    assert all(score == 0 for _, score in rank_tables(tables, question))
    ranked = rank_tables(tables, question, load_dictionary([dict_dir]))
    assert ranked[0][0].name == "bicycles" and ranked[0][1] > 0


def test_abbreviations_in_identifiers_are_expanded() -> None:
    assert identifier_tokens("qtd_itens") == ("quantidade", "itens")
    assert identifier_tokens("dtCadastro") == ("data", "cadastro")
    assert identifier_tokens("vlr_total") == ("valor", "total")
    assert identifier_tokens("order_qty") == ("order", "quantity")
    assert identifier_tokens("cliente_id") == ("cliente",)
    tables = [_table("movimentos", "qtd_itens", "dt_mov"), _table("pessoas", "nome")]
    assert rank_tables(tables, "qual a quantidade de itens movimentados por data?")[0][0].name == "movimentos"


def test_fuzzy_words_match_typos_and_transcripts() -> None:
    tables = [_table("transportadoras", "nome"), _table("clientes", "nome")]
    ranked = rank_tables(tables, "qual transportadoura entregou mais?")
    assert ranked[0][0].name == "transportadoras" and ranked[0][1] > 0


def _install_freedict() -> None:
    """Install the Debian packages when missing (idempotent; as .ci/run does)."""
    if all((d / "freedict-por-eng.index").is_file() for d in DEFAULT_DICT_DIRS):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        packages = ["dict-freedict-por-eng", "dict-freedict-eng-por"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", *packages], env=env, capture_output=True, check=False)


def test_debian_freedict_packages_cover_the_reported_misses() -> None:
    """The words the issue reported as unmapped, with the real FreeDict packages (installed by .ci/run)."""
    _install_freedict()
    dictionary = load_dictionary(DEFAULT_DICT_DIRS)
    if not dictionary.sources:
        unavailable("dict-freedict-por-eng / dict-freedict-eng-por not installed")
    tables = [
        _table(name)
        for name in ("semesters", "dogs", "professionals", "flights", "singers", "countries", "players", "cities")
    ]
    for question, expected in [
        ("quantos alunos por semestre?", "semesters"),
        ("qual o cão mais velho?", "dogs"),
        ("liste os profissionais", "professionals"),
        ("quantos voos existem?", "flights"),
        ("quantos cantores temos?", "singers"),
        ("quais países têm mais de 10 cidades?", "countries"),
        ("quantos jogadores existem?", "players"),
    ]:
        assert rank_tables(tables, question, dictionary)[0][0].name == expected, question
