"""pdf-read on real PDFs generated with fpdf2/pypdf under tmp_path."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from tests.fixtures_pdf import (
    PT_BR_PHRASE,
    accents_pdf,
    corrupt_pdf,
    encrypted_pdf,
    image_only_pdf,
    multipage_pdf,
    not_a_pdf,
    symlink_escape,
    text_pdf,
)
from tools.context import PdfLimits, ToolContext
from tools.errors import InvalidInputError, PdfReadError
from tools.pdf_read import PdfReadResult, ReadPdfInput, read_pdf


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


@pytest.fixture
def ctx(uploads: Path, docs: Path) -> ToolContext:
    # pdf-read never touches the connection registry.
    return ToolContext(registry=None, pdf_limits=PdfLimits(allowed_dirs=(uploads, docs)))  # type: ignore[arg-type]  # read_pdf needs no registry


def with_limits(ctx: ToolContext, **limits: object) -> ToolContext:
    return replace(ctx, pdf_limits=replace(ctx.pdf_limits, **limits))


def read(ctx: ToolContext, path: str | Path, **kwargs: str) -> PdfReadResult:
    return read_pdf(ReadPdfInput(path=str(path), **kwargs), ctx)


def error_of(ctx: ToolContext, path: str | Path, **kwargs: str) -> PdfReadError:
    with pytest.raises(PdfReadError) as caught:
        read(ctx, path, **kwargs)
    return caught.value


# --- reading ----------------------------------------------------------------------------


def test_accents_and_metadata_survive(ctx: ToolContext, uploads: Path) -> None:
    accents_pdf(uploads / "relatorio.pdf")
    result = read(ctx, "relatorio.pdf")
    assert result.file_name == "relatorio.pdf"
    assert result.page_count == 1
    assert PT_BR_PHRASE in result.pages[0].text
    assert result.metadata.title == "Relatório de operações"
    assert result.metadata.author == "Conceição Araújo"
    assert result.metadata.created is not None and result.metadata.created.startswith("2026-06-30")
    assert not result.truncated
    assert result.chars_returned == len(result.pages[0].text)
    text = result.to_text()
    assert "Relatório de operações" in text and "coração" in text and "Página 1" in text


def test_upload_id_absolute_path_and_second_allowed_dir(ctx: ToolContext, uploads: Path, docs: Path) -> None:
    text_pdf(uploads / "a.pdf", ["primeiro"])
    text_pdf(docs / "b.pdf", ["segundo"])
    text_pdf(docs / "sub" / "c.pdf", ["terceiro"])
    assert read(ctx, "a.pdf").pages[0].text == "primeiro"
    assert read(ctx, uploads / "a.pdf").pages[0].text == "primeiro"
    assert read(ctx, "b.pdf").pages[0].text == "segundo"
    assert read(ctx, "sub/c.pdf").pages[0].text == "terceiro"
    assert read(ctx, docs / "sub" / ".." / "b.pdf").pages[0].text == "segundo"


def test_long_pdf_default_returns_first_pages_within_limit(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=12)
    small = with_limits(ctx, max_chars=1500)
    result = read(small, "longo.pdf")
    assert result.page_count == 12
    assert result.truncated
    assert 0 < len(result.pages) < 12
    assert result.pages[0].text.startswith("Página 1.")
    assert result.chars_returned <= 1500
    assert "12 página" in (result.note or "")


def test_short_pdf_default_returns_everything(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "curto.pdf", page_count=3, words_per_page=5)
    result = read(ctx, "curto.pdf")
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert not result.truncated and result.note is None


def test_page_ranges(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=12, words_per_page=5)
    result = read(ctx, "longo.pdf", pages="2, 4-5,4")
    assert [p.number for p in result.pages] == [2, 4, 5]
    assert all(p.text.startswith(f"Página {p.number}.") for p in result.pages)
    assert read(ctx, "longo.pdf", pages="12").pages[0].text.startswith("Página 12.")


def test_page_range_cut_by_char_limit(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=12)
    result = read(with_limits(ctx, max_chars=1000), "longo.pdf", pages="1-12")
    assert result.truncated
    assert result.chars_returned <= 1000
    assert "Limite de 1000 caracteres" in (result.note or "")


@pytest.mark.parametrize("pages", ["abc", "1-", "3-1", "1;2", "-2"])
def test_malformed_page_range_is_invalid_input(ctx: ToolContext, uploads: Path, pages: str) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=4, words_per_page=5)
    with pytest.raises(InvalidInputError) as caught:
        read(ctx, "longo.pdf", pages=pages)
    assert caught.value.code == "invalid_input"
    assert "páginas" in caught.value.message


@pytest.mark.parametrize("pages", ["0", "5", "2-9", "1,99999999999"])
def test_out_of_document_pages(ctx: ToolContext, uploads: Path, pages: str) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=4, words_per_page=5)
    error = error_of(ctx, "longo.pdf", pages=pages)
    assert error.code == "pdf_bad_pages"
    assert "4 página" in error.message


# --- search -----------------------------------------------------------------------------


def test_search_ignores_case_and_accents(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=12)
    result = read(ctx, "longo.pdf", search="contrato de cambio")
    assert [m.page for m in result.matches] == [3, 9]
    assert all("CONTRATO DE CÂMBIO" in m.snippet for m in result.matches)
    assert all("São Paulo" in m.snippet for m in result.matches)  # surrounding text kept, accents intact
    assert result.pages == []
    assert "página 3" in result.to_text()


def test_search_accented_query_on_plain_text(ctx: ToolContext, uploads: Path) -> None:
    text_pdf(uploads / "t.pdf", ["Nao ha acao aqui.", "Coracao de Sao Paulo."])
    result = read(ctx, "t.pdf", search="CORAÇÃO de são")
    assert [m.page for m in result.matches] == [2]


def test_search_restricted_to_pages(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=12)
    assert [m.page for m in read(ctx, "longo.pdf", search="câmbio", pages="1-5").matches] == [3]


def test_search_without_hits_says_so(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=3, words_per_page=5)
    result = read(ctx, "longo.pdf", search="debênture")
    assert result.matches == [] and not result.truncated
    assert "Nenhuma ocorrência" in (result.note or "")


def test_search_caps_matches(ctx: ToolContext, uploads: Path) -> None:
    text_pdf(uploads / "rep.pdf", ["nota " * 400])
    result = read(ctx, "rep.pdf", search="nota")
    assert result.truncated
    assert 0 < len(result.matches) <= 50


# --- errors -----------------------------------------------------------------------------


def test_encrypted(ctx: ToolContext, uploads: Path) -> None:
    encrypted_pdf(uploads / "secreto.pdf")
    error = error_of(ctx, "secreto.pdf")
    assert error.code == "pdf_encrypted" and "senha" in error.message


def test_owner_password_only_is_readable(ctx: ToolContext, uploads: Path) -> None:
    source = accents_pdf(uploads / "src.pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source.read_bytes())))
    writer.encrypt(user_password="", owner_password="dono", algorithm="AES-128")
    with (uploads / "restrito.pdf").open("wb") as handle:
        writer.write(handle)
    assert PT_BR_PHRASE in read(ctx, "restrito.pdf").pages[0].text


def test_corrupt(ctx: ToolContext, uploads: Path) -> None:
    corrupt_pdf(uploads / "quebrado.pdf")
    error = error_of(ctx, "quebrado.pdf")
    assert error.code == "pdf_corrupt" and "corrompido" in error.message


def test_scanned_without_text(ctx: ToolContext, uploads: Path) -> None:
    image_only_pdf(uploads / "scan.pdf")
    for kwargs in ({}, {"search": "qualquer"}, {"pages": "1"}):
        error = error_of(ctx, "scan.pdf", **kwargs)
        assert error.code == "pdf_no_text" and "OCR" in error.message


def test_blank_page_in_text_pdf_is_not_an_error(ctx: ToolContext, uploads: Path) -> None:
    text_pdf(uploads / "misto.pdf", ["texto", ""])
    assert read(ctx, "misto.pdf", pages="2").pages[0].text == ""


@pytest.mark.parametrize("name", ["falso.pdf", "vazio.pdf"])
def test_not_a_pdf(ctx: ToolContext, uploads: Path, name: str) -> None:
    if name == "vazio.pdf":
        (uploads / name).write_bytes(b"")
    else:
        not_a_pdf(uploads / name)
    assert error_of(ctx, name).code == "pdf_not_pdf"


def test_too_many_bytes(ctx: ToolContext, uploads: Path) -> None:
    path = multipage_pdf(uploads / "longo.pdf", page_count=3)
    error = error_of(with_limits(ctx, max_bytes=path.stat().st_size - 1), "longo.pdf")
    assert error.code == "pdf_too_large" and "MB" in error.message


def test_too_many_pages(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=6, words_per_page=3)
    error = error_of(with_limits(ctx, max_pages=5), "longo.pdf")
    assert error.code == "pdf_too_large" and "6 páginas" in error.message


@pytest.mark.parametrize("name", ["nao-existe.pdf", "sub/nao-existe.pdf"])
def test_not_found(ctx: ToolContext, name: str) -> None:
    error = error_of(ctx, name)
    assert error.code == "pdf_not_found" and "não encontrado" in error.message


def test_directory_is_not_found(ctx: ToolContext, docs: Path) -> None:
    (docs / "pasta.pdf").mkdir()
    assert error_of(ctx, "pasta.pdf").code == "pdf_not_found"


def test_outside_allowed_dirs_is_forbidden(ctx: ToolContext, tmp_path: Path, uploads: Path) -> None:
    outside = accents_pdf(tmp_path / "fora" / "segredo.pdf")
    for path in (outside, "../fora/segredo.pdf", f"{uploads}/../fora/segredo.pdf", "/etc/passwd", "~/x.pdf"):
        error = error_of(ctx, path)
        assert error.code == "pdf_forbidden", path
        assert "fora das pastas permitidas" in error.message


def test_symlink_escaping_allowed_dir_is_forbidden(ctx: ToolContext, tmp_path: Path, uploads: Path) -> None:
    outside = accents_pdf(tmp_path / "fora" / "segredo.pdf")
    symlink_escape(uploads / "atalho.pdf", outside)
    symlink_escape(uploads / "pasta", outside.parent)
    assert error_of(ctx, "atalho.pdf").code == "pdf_forbidden"
    assert error_of(ctx, "pasta/segredo.pdf").code == "pdf_forbidden"


def test_symlink_inside_allowed_dir_is_fine(ctx: ToolContext, uploads: Path, docs: Path) -> None:
    target = accents_pdf(docs / "real.pdf")
    symlink_escape(uploads / "atalho.pdf", target)
    assert read(ctx, "atalho.pdf").file_name == "real.pdf"


def test_symlink_loop_is_not_found(ctx: ToolContext, uploads: Path) -> None:
    (uploads / "a.pdf").symlink_to(uploads / "b.pdf")
    (uploads / "b.pdf").symlink_to(uploads / "a.pdf")
    assert error_of(ctx, "a.pdf").code == "pdf_not_found"


def test_no_allowed_dirs_refuses_everything(ctx: ToolContext, uploads: Path) -> None:
    accents_pdf(uploads / "a.pdf")
    assert error_of(with_limits(ctx, allowed_dirs=()), uploads / "a.pdf").code == "pdf_forbidden"


def test_error_codes_are_distinct_and_messages_pt_br(ctx: ToolContext, tmp_path: Path, uploads: Path) -> None:
    encrypted_pdf(uploads / "e.pdf")
    corrupt_pdf(uploads / "c.pdf")
    image_only_pdf(uploads / "i.pdf")
    not_a_pdf(uploads / "n.pdf")
    big = multipage_pdf(uploads / "b.pdf", page_count=2)
    cases = {
        "pdf_encrypted": (ctx, "e.pdf"),
        "pdf_corrupt": (ctx, "c.pdf"),
        "pdf_no_text": (ctx, "i.pdf"),
        "pdf_not_pdf": (ctx, "n.pdf"),
        "pdf_too_large": (with_limits(ctx, max_bytes=big.stat().st_size // 2), "b.pdf"),
        "pdf_not_found": (ctx, "x.pdf"),
        "pdf_forbidden": (ctx, tmp_path / "x.pdf"),
    }
    messages = set()
    for code, (context, path) in cases.items():
        error = error_of(context, path)
        assert error.code == code
        assert error.to_dict()["error"] == code
        messages.add(error.message)
    assert len(messages) == len(cases)


# --- document cache ---------------------------------------------------------------------


def test_changed_file_is_read_again(ctx: ToolContext, uploads: Path) -> None:
    path = text_pdf(uploads / "v.pdf", ["versão um"])
    assert read(ctx, "v.pdf").pages[0].text == "versão um"
    text_pdf(path, ["versão dois, bem mais longa que a primeira"])
    assert read(ctx, "v.pdf").pages[0].text == "versão dois, bem mais longa que a primeira"


def test_document_cache_is_bounded(ctx: ToolContext, uploads: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.pdf_read.document as document

    monkeypatch.setattr(document, "CACHE_MAX_BYTES", 1)
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        text_pdf(uploads / name, [name])
        assert read(ctx, name).pages[0].text == name
    assert len(ctx.caches[document.CACHE_KEY]) == 1


def test_parallel_reads_of_one_document_agree(ctx: ToolContext, uploads: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    multipage_pdf(uploads / "longo.pdf", page_count=12, words_per_page=30)
    requests = [{"search": "câmbio"}, {"pages": "1-12"}, {}, {"pages": "3,9"}] * 4
    expected = [read(replace(ctx, caches={}), "longo.pdf", **kwargs) for kwargs in requests]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda kwargs: read(ctx, "longo.pdf", **kwargs), requests))
    assert results == expected


def test_search_phrase_across_line_breaks_and_ligatures() -> None:
    from tools.pdf_read.search import find_snippets

    text = "Cláusula 4: o CONTRATO DE\nCÂMBIO   foi assinado. A ﬁrma de São Paulo."
    assert find_snippets(text, "contrato de cambio", 5) == [" ".join(text.split())]
    assert len(find_snippets(text, "FIRMA DE SAO", 5)) == 1
    assert find_snippets(text, "contrato de câmbios", 5) == []


def test_a_page_past_the_time_budget_is_stopped_and_said(ctx: ToolContext, uploads: Path) -> None:
    from tests.tools.security.pdf_bombs import heavy_page

    heavy_page(uploads / "pesado.pdf")
    result = read(with_limits(ctx, time_budget_s=0.5), "pesado.pdf", pages="1")
    assert result.truncated and result.pages == []
    assert result.note is not None and "Tempo limite de leitura (0.5 s) esgotado na página 1" in result.note


def test_pages_read_before_the_budget_ends_are_kept(ctx: ToolContext, uploads: Path) -> None:
    multipage_pdf(uploads / "longo.pdf", page_count=12, words_per_page=30)
    budget = with_limits(ctx, time_budget_s=60)
    assert read(budget, "longo.pdf", pages="1-2").pages  # pages 1-2 extracted and cached
    expired = with_limits(replace(budget, caches=budget.caches), time_budget_s=1e-9)
    result = read(expired, "longo.pdf", pages="1-5")
    assert [p.number for p in result.pages] == [1, 2]  # cached pages need no extraction time
    assert result.truncated and result.note is not None and "esgotado na página 3" in result.note


# --- opening in the worker ----------------------------------------------------------------


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every worker process started during the test (to check none is left running)."""
    import tools.pdf_read.document as document

    started: list = []
    original = document._Worker.__init__

    def tracked(self: document._Worker, path: Path, max_pages: int) -> None:
        original(self, path, max_pages)
        started.append(self.process)

    monkeypatch.setattr(document._Worker, "__init__", tracked)
    return started


def test_the_caller_never_parses_the_pdf(
    ctx: ToolContext, uploads: Path, monkeypatch: pytest.MonkeyPatch, workers: list
) -> None:
    import pypdf

    multipage_pdf(uploads / "longo.pdf", page_count=3, words_per_page=10)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the PDF was parsed in the calling process")

    monkeypatch.setattr(pypdf.PdfReader, "__init__", refuse)
    result = read(ctx, "longo.pdf", search="câmbio")
    assert result.page_count == 3 and result.matches
    assert len(workers) == 1  # opened and searched by one worker: the page tree is walked once per call
    assert all(process.poll() is not None for process in workers)


def test_opening_a_heavy_page_tree_is_under_the_time_budget(ctx: ToolContext, uploads: Path, workers: list) -> None:
    from tests.tools.security.pdf_bombs import many_heavy_pages

    many_heavy_pages(uploads / "arvore.pdf")
    error = error_of(with_limits(ctx, time_budget_s=0.05), "arvore.pdf", pages="2000")
    assert error.code == "pdf_time_budget"
    assert "tempo limite (0.05 s)" in error.message
    assert workers and all(process.poll() is not None for process in workers)
    assert ctx.caches.get("pdf_read") in (None, {})  # nothing cached: the next call tries again


def test_no_worker_is_left_running_after_an_error(ctx: ToolContext, uploads: Path, workers: list) -> None:
    multipage_pdf(uploads / "dois.pdf", page_count=2)
    assert error_of(ctx, "dois.pdf", pages="5").code == "pdf_bad_pages"
    assert len(workers) == 1 and workers[0].poll() is not None
    assert read(ctx, "dois.pdf", pages="2").pages[0].number == 2  # a new worker reopens the cached document
    assert len(workers) == 2 and workers[1].poll() is not None
