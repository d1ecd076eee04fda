"""Read a PDF: checks (place, size, type, encryption), page selection, text, metadata and search."""

from __future__ import annotations

import io
import logging
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from tools.context import PdfLimits, ToolContext
from tools.errors import InvalidInputError, PdfReadError
from tools.pdf_read.models import PdfMatch, PdfMetadata, PdfPage, PdfReadResult, ReadPdfInput
from tools.pdf_read.paths import resolve_pdf_path
from tools.pdf_read.search import find_snippets

log = logging.getLogger(__name__)

MAX_MATCHES = 50
_MAGIC_WINDOW = 1024
# pypdf parses untrusted bytes; malformed files surface as its own errors or as these.
_PARSE_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    RecursionError,
    zlib.error,
    struct.error,
)
_SPACES = re.compile(r"[ \t]+")
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
    pdf_too_large, pdf_encrypted (protegido por senha), pdf_corrupt, pdf_no_text (digitalizado, sem
    texto; não há OCR), pdf_bad_pages / invalid_input (intervalo de páginas inválido). Explique o
    problema ao usuário em vez de tentar de novo com o mesmo arquivo.
    """
    limits = ctx.pdf_limits
    path = resolve_pdf_path(params.path, limits.allowed_dirs)
    reader = _open(path, limits)
    page_count = _page_count(reader, path, limits)
    metadata = _metadata(reader)
    wanted = parse_pages(params.pages, page_count) if params.pages and params.pages.strip() else None
    base = {"file_name": path.name, "page_count": page_count, "metadata": metadata}
    if params.search and params.search.strip():
        scope = wanted or range(1, page_count + 1)
        return _search(reader, scope, params.search.strip(), limits.max_chars, base)
    return _read_pages(reader, wanted or range(1, page_count + 1), limits.max_chars, base, explicit=bool(wanted))


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


def _open(path: Path, limits: PdfLimits) -> PdfReader:
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise PdfReadError(
                f"O PDF {path.name} é grande demais ({size / 1_048_576:.1f} MB; limite "
                f"{limits.max_bytes / 1_048_576:.1f} MB).",
                code="pdf_too_large",
                detail={"bytes": size, "max_bytes": limits.max_bytes},
            )
        data = path.read_bytes()
    except PermissionError:
        raise PdfReadError(f"Sem permissão para ler o arquivo {path.name}.", code="pdf_forbidden") from None
    except OSError as error:
        log.warning("cannot read %s: %s", path, error)
        raise PdfReadError(f"Não foi possível abrir o arquivo {path.name}.", code="pdf_not_found") from None
    if b"%PDF-" not in data[:_MAGIC_WINDOW]:
        raise PdfReadError(
            f"O arquivo {path.name} não é um PDF (o conteúdo não começa com a assinatura %PDF).",
            code="pdf_not_pdf",
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except _PARSE_ERRORS as error:
        raise _corrupt(path, error) from None
    if reader.is_encrypted:
        try:
            unlocked = bool(reader.decrypt(""))  # owner-password-only PDFs open with an empty user password
        except _PARSE_ERRORS as error:
            log.info("decrypt failed for %s: %s", path, error)
            unlocked = False
        if not unlocked:
            raise PdfReadError(
                f"O PDF {path.name} é protegido por senha; não é possível lê-lo. Peça ao usuário uma versão sem senha.",
                code="pdf_encrypted",
            )
    return reader


def _corrupt(path: Path, error: BaseException) -> PdfReadError:
    log.warning("corrupt pdf %s: %s: %s", path, type(error).__name__, error)
    return PdfReadError(
        f"O PDF {path.name} está corrompido ou incompleto e não pôde ser lido. Peça ao usuário para enviá-lo de novo.",
        code="pdf_corrupt",
        detail={"reason": type(error).__name__},
    )


def _page_count(reader: PdfReader, path: Path, limits: PdfLimits) -> int:
    try:
        count = len(reader.pages)
    except _PARSE_ERRORS as error:
        raise _corrupt(path, error) from None
    if count > limits.max_pages:
        raise PdfReadError(
            f"O PDF tem {count} páginas; o limite é {limits.max_pages}.",
            code="pdf_too_large",
            detail={"pages": count, "max_pages": limits.max_pages},
        )
    if count == 0:
        raise PdfReadError("O PDF não tem nenhuma página.", code="pdf_corrupt")
    return count


def _metadata(reader: PdfReader) -> PdfMetadata:
    try:
        info = reader.metadata
    except _PARSE_ERRORS:
        return PdfMetadata()
    if info is None:
        return PdfMetadata()

    def text(key: str) -> str | None:
        try:
            value = info.get(key)
        except _PARSE_ERRORS:
            return None
        if value is None:
            return None
        return _clean(str(value)) or None

    def date(attr: str) -> str | None:
        try:
            value: datetime | None = getattr(info, attr)
        except _PARSE_ERRORS:
            return None
        return value.isoformat() if value else None

    return PdfMetadata(
        title=text("/Title"),
        author=text("/Author"),
        subject=text("/Subject"),
        creator=text("/Creator"),
        producer=text("/Producer"),
        created=date("creation_date"),
        modified=date("modification_date"),
    )


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\x00", "")
    return _SPACES.sub(" ", text).strip()


def _page_text(reader: PdfReader, number: int) -> str:
    try:
        return _clean(reader.pages[number - 1].extract_text() or "")
    except _PARSE_ERRORS as error:
        log.warning("text extraction failed on page %d: %s: %s", number, type(error).__name__, error)
        raise PdfReadError(
            f"A página {number} do PDF está corrompida e não pôde ser lida.",
            code="pdf_corrupt",
            detail={"page": number, "reason": type(error).__name__},
        ) from None


def _ensure_some_text(reader: PdfReader, already_checked: Iterable[int]) -> None:
    """Raise ``pdf_no_text`` when no page of the document has extractable text."""
    checked = set(already_checked)
    for number in range(1, len(reader.pages) + 1):
        if number not in checked and _page_text(reader, number):
            return
    raise PdfReadError(
        "O PDF não tem texto extraível (provavelmente é um documento digitalizado/escaneado, só com "
        "imagens). Este sistema não faz OCR; peça ao usuário uma versão com texto.",
        code="pdf_no_text",
    )


def _read_pages(reader: PdfReader, numbers: Iterable[int], budget: int, base: dict, *, explicit: bool) -> PdfReadResult:
    pages: list[PdfPage] = []
    used = 0
    truncated = False
    numbers = list(numbers)
    for number in numbers:
        text = _page_text(reader, number)
        if used + len(text) > budget:
            text = text[: max(0, budget - used)].rstrip()
            truncated = True
            if text or not pages:
                pages.append(PdfPage(number=number, text=text + " […]"))
                used += len(text)
            break
        pages.append(PdfPage(number=number, text=text))
        used += len(text)
    if not any(p.text for p in pages):
        _ensure_some_text(reader, [p.number for p in pages])
    note = _pages_note(pages, numbers, base["page_count"], budget, truncated, explicit)
    return PdfReadResult(**base, pages=pages, truncated=truncated, chars_returned=used, note=note)


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


def _search(reader: PdfReader, numbers: Iterable[int], phrase: str, budget: int, base: dict) -> PdfReadResult:
    matches: list[PdfMatch] = []
    used = 0
    truncated = False
    any_text = False
    scanned: list[int] = []
    for number in numbers:
        text = _page_text(reader, number)
        scanned.append(number)
        any_text = any_text or bool(text)
        for snippet in find_snippets(text, phrase, MAX_MATCHES - len(matches) + 1):
            if len(matches) >= MAX_MATCHES or used + len(snippet) > budget:
                truncated = True
                break
            matches.append(PdfMatch(page=number, snippet=snippet))
            used += len(snippet)
        if truncated:
            break
    if not any_text:
        _ensure_some_text(reader, scanned)
    if truncated:
        note = (
            f'Há mais ocorrências de "{phrase}" depois da página {matches[-1].page if matches else 1}; '
            "refine a frase ou limite as páginas com pages."
        )
    elif not matches:
        note = f'Nenhuma ocorrência de "{phrase}" no documento. Tente outra palavra ou um sinônimo.'
    else:
        note = None
    return PdfReadResult(**base, matches=matches, truncated=truncated, chars_returned=used, note=note)
