"""read_pdf: page selection, character budget, search and the notes that tell the LLM how to get the rest."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable

from tools.context import PdfLimits, ToolContext
from tools.errors import InvalidInputError, PdfReadError
from tools.pdf_read.document import PdfDocument, PdfTimeBudgetExceeded, open_document
from tools.pdf_read.models import PdfMatch, PdfPage, PdfReadResult, ReadPdfInput
from tools.pdf_read.paths import resolve_pdf_path
from tools.pdf_read.search import find_snippets

log = logging.getLogger(__name__)

MAX_MATCHES = 50
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def read_pdf(params: ReadPdfInput, ctx: ToolContext) -> PdfReadResult:
    """Lê um PDF enviado pelo usuário (pelo id do arquivo) ou de uma pasta permitida.

    Devolve o número de páginas, os metadados (título, autor, datas) e o texto das páginas pedidas.
    - Sem `pages` e sem `search`: devolve os metadados e o texto das primeiras páginas que cabem no
      limite de caracteres, e diz quantas páginas o documento tem.
    - Para PDFs longos, NÃO tente ler tudo: peça páginas específicas com `pages` (ex.: "1-3,7") ou
      procure uma frase com `search` (ignora maiúsculas e acentos; devolve a página e o trecho em
      volta de cada ocorrência). `search` junto com `pages` procura só nessas páginas.
    - `truncated=true` indica que havia mais texto do que o devolvido; `note` diz como pedir o resto.
    Erros (com `code`): pdf_not_found, pdf_forbidden (fora das pastas permitidas), pdf_not_pdf,
    pdf_too_large, pdf_time_budget (pesado demais para abrir no tempo limite), pdf_encrypted (protegido
    por senha), pdf_corrupt, pdf_no_text (digitalizado, sem texto; não há OCR), pdf_bad_pages /
    invalid_input (intervalo de páginas inválido). Explique o problema ao usuário em vez de tentar de novo
    com o mesmo arquivo.
    """
    limits = ctx.pdf_limits
    deadline = time.monotonic() + limits.time_budget_s
    path = resolve_pdf_path(params.path, limits.allowed_dirs)
    document = open_document(path, limits, ctx.caches, deadline)
    try:
        page_count = document.page_count
        wanted = parse_pages(params.pages, page_count) if params.pages and params.pages.strip() else None
        base = {"file_name": path.name, "page_count": page_count, "metadata": document.metadata}
        if params.search and params.search.strip():
            scope = wanted or range(1, page_count + 1)
            return _search(document, scope, params.search.strip(), limits, deadline, base)
        numbers = wanted or range(1, page_count + 1)
        return _read_pages(document, numbers, limits, deadline, base, explicit=bool(wanted))
    finally:
        document.release()


def parse_pages(spec: str, page_count: int) -> list[int]:
    """Parse "1-3,7" into [1, 2, 3, 7] (ordered, without repeats), validated against ``page_count``."""
    numbers: list[int] = []
    for item in spec.split(","):
        match = _RANGE.match(item)
        if not match:
            raise InvalidInputError(
                f'Intervalo de páginas inválido: "{spec}". '
                'Use números e intervalos separados por vírgula, ex.: "1-3,7".',
                detail={"pages": spec},
            )
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first > last:
            raise InvalidInputError(
                f'Intervalo de páginas invertido: "{item.strip()}". Use o menor número primeiro, ex.: "2-5".',
                detail={"pages": spec},
            )
        if first < 1 or last > page_count:
            raise PdfReadError(
                f'Páginas fora do documento: "{item.strip()}". O PDF tem {page_count} página(s); '
                f"peça páginas entre 1 e {page_count}.",
                code="pdf_bad_pages",
                detail={"pages": spec, "page_count": page_count},
            )
        numbers.extend(n for n in range(first, last + 1) if n not in numbers)
    return numbers


def _ensure_some_text(document: PdfDocument, deadline: float) -> None:
    """Raise ``pdf_no_text`` when no page of the document has extractable text (as far as the budget lets us see)."""
    try:
        if any(text for _, text in document.texts(range(1, document.page_count + 1), deadline)):
            return
    except PdfTimeBudgetExceeded:
        return  # unknown: the time budget ended first; the caller's note says so
    raise PdfReadError(
        "O PDF não tem texto extraível (provavelmente é um documento digitalizado/escaneado, só com "
        "imagens). Este sistema não faz OCR; peça ao usuário uma versão com texto.",
        code="pdf_no_text",
    )


def _read_pages(
    document: PdfDocument, numbers: Iterable[int], limits: PdfLimits, deadline: float, base: dict, *, explicit: bool
) -> PdfReadResult:
    budget = limits.max_chars
    pages: list[PdfPage] = []
    used = 0
    truncated = False
    stopped: int | None = None
    numbers = list(numbers)
    try:
        for number, text in document.texts(numbers, deadline):
            if used + len(text) > budget:
                text = text[: max(0, budget - used)].rstrip()
                truncated = True
                if text or not pages:
                    pages.append(PdfPage(number=number, text=text + " […]"))
                    used += len(text)
                break
            pages.append(PdfPage(number=number, text=text))
            used += len(text)
    except PdfTimeBudgetExceeded as stop:
        stopped, truncated = stop.page, True
        log.warning(
            "read_pdf on %s: time budget of %g s ended at page %d", base["file_name"], limits.time_budget_s, stop.page
        )
    if stopped is None and not any(p.text for p in pages):
        _ensure_some_text(document, deadline)
    note: str | None = _pages_note(pages, numbers, base["page_count"], budget, truncated, explicit)
    if stopped is not None:
        note = _timeout_note(stopped, limits.time_budget_s, pages)
    return PdfReadResult(**base, pages=pages, truncated=truncated, chars_returned=used, note=note)


def _timeout_note(page: int, budget_s: float, done: list[PdfPage] | list[PdfMatch]) -> str:
    got = "nenhuma página foi lida" if not done else "o resultado traz o que foi lido até ali"
    return (
        f"Tempo limite de leitura ({budget_s:g} s) esgotado na página {page}: {got}. Esta página é pesada demais "
        "para extrair; peça outras páginas com pages ou procure uma frase com search em menos páginas."
    )


def _pages_note(
    pages: list[PdfPage], numbers: list[int], page_count: int, budget: int, truncated: bool, explicit: bool
) -> str | None:
    if not truncated and (explicit or len(pages) == page_count):
        return None
    last = pages[-1].number if pages else 0
    cut = f" (a página {last} foi cortada)" if truncated else ""
    if explicit:
        rest = [n for n in numbers if n > last]
        missing = f"; faltaram {len(rest)} página(s), a partir da {rest[0]}" if rest else ""
        return f"Limite de {budget} caracteres atingido{cut}{missing}. Peça menos páginas por vez ou use search."
    following = last if truncated else last + 1
    hint = f"{following}-{min(page_count, following + 2)}"
    return (
        f"O documento tem {page_count} página(s); foram devolvidas as páginas 1 a {last}{cut}. "
        f'Peça outras páginas com pages (ex.: "{hint}") ou procure uma frase com search.'
    )


def _search(
    document: PdfDocument, numbers: Iterable[int], phrase: str, limits: PdfLimits, deadline: float, base: dict
) -> PdfReadResult:
    budget = limits.max_chars
    matches: list[PdfMatch] = []
    used = 0
    truncated = False
    any_text = False
    stopped: int | None = None
    try:
        for number, text in document.texts(numbers, deadline):
            any_text = any_text or bool(text)
            for snippet in find_snippets(text, phrase, MAX_MATCHES - len(matches) + 1):
                if len(matches) >= MAX_MATCHES or used + len(snippet) > budget:
                    truncated = True
                    break
                matches.append(PdfMatch(page=number, snippet=snippet))
                used += len(snippet)
            if truncated:
                break
    except PdfTimeBudgetExceeded as stop:
        stopped, truncated = stop.page, True
        log.warning("read_pdf search on %s: time budget ended at page %d", base["file_name"], stop.page)
    if stopped is None and not any_text:
        _ensure_some_text(document, deadline)
    if stopped is not None:
        note = _timeout_note(stopped, limits.time_budget_s, matches) + f' Busca por "{phrase}" interrompida.'
    elif truncated:
        note = (
            f'Há mais ocorrências de "{phrase}" depois da página {matches[-1].page if matches else 1}; '
            "refine a frase ou limite as páginas com pages."
        )
    elif not matches:
        note = f'Nenhuma ocorrência de "{phrase}" no documento. Tente outra palavra ou um sinônimo.'
    else:
        note = None
    return PdfReadResult(**base, matches=matches, truncated=truncated, chars_returned=used, note=note)
