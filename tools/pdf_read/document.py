"""Open a PDF once (size, signature, encryption, page-count checks) and extract page text on demand.

Opened documents are kept per ToolContext (``ctx.caches["pdf_read"]``, LRU, bounded by file bytes) keyed by
path, modification time and size, so an agent that reads the first pages, then searches, then asks for
other pages parses the file and extracts each page only once. A changed file gets a new key.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import threading
import unicodedata
import zlib
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from tools.context import PdfLimits
from tools.errors import PdfReadError
from tools.pdf_read.models import PdfMetadata

log = logging.getLogger(__name__)

CACHE_KEY = "pdf_read"
CACHE_MAX_BYTES = 64 * 1024 * 1024
"""Total size of the source files kept open; the least recently used documents are dropped first."""
_MAGIC_WINDOW = 1024
_SPACES = re.compile(r"[ \t]+")
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
_CACHE_LOCK = threading.Lock()


class PdfDocument:
    """An opened, checked PDF. ``text(n)`` extracts page ``n`` (1-based) once; safe to share across threads."""

    def __init__(self, path: Path, reader: PdfReader, size: int, page_count: int, metadata: PdfMetadata):
        self.path = path
        self.size = size
        self.page_count = page_count
        self.metadata = metadata
        self._reader: PdfReader | None = reader
        self._texts: dict[int, str] = {}
        self._lock = threading.Lock()  # a PdfReader is not thread-safe

    def text(self, number: int) -> str:
        cached = self._texts.get(number)
        if cached is not None:
            return cached
        with self._lock:
            if number not in self._texts:
                if self._reader is None:  # every page is cached before the reader is dropped
                    raise RuntimeError(f"page {number} of a closed PDF")
                self._texts[number] = _page_text(self._reader, number)
                if len(self._texts) == self.page_count:
                    self._reader = None  # every page extracted: free the parsed file
            return self._texts[number]

    def has_any_text(self) -> bool:
        return any(self.text(number) for number in range(1, self.page_count + 1))


def open_document(path: Path, limits: PdfLimits, caches: dict[str, Any]) -> PdfDocument:
    """The checked document at ``path`` (resolved, inside the allowed folders), from the cache when unchanged."""
    try:
        stat = path.stat()
    except OSError as error:
        log.warning("cannot stat %s: %s", path, error)
        raise PdfReadError(f"Não foi possível abrir o arquivo {path.name}.", code="pdf_not_found") from None
    _check_size(path, stat.st_size, limits)
    key = (str(path), stat.st_mtime_ns, stat.st_size, limits.max_pages)
    with _CACHE_LOCK:
        documents: OrderedDict[tuple, PdfDocument] = caches.setdefault(CACHE_KEY, OrderedDict())
        document = documents.get(key)
        if document is not None:
            documents.move_to_end(key)
            return document
    reader = _open(path)
    document = PdfDocument(path, reader, stat.st_size, _page_count(reader, path, limits), _metadata(reader))
    with _CACHE_LOCK:
        documents[key] = document
        while len(documents) > 1 and sum(d.size for d in documents.values()) > CACHE_MAX_BYTES:
            documents.popitem(last=False)
    return document


def _check_size(path: Path, size: int, limits: PdfLimits) -> None:
    if size > limits.max_bytes:
        raise PdfReadError(
            f"O PDF {path.name} é grande demais ({size / 1_048_576:.1f} MB; limite "
            f"{limits.max_bytes / 1_048_576:.1f} MB).",
            code="pdf_too_large",
            detail={"bytes": size, "max_bytes": limits.max_bytes},
        )


def _open(path: Path) -> PdfReader:
    try:
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
