"""Open a PDF once (size, signature, encryption, page-count checks) and extract page text on demand, under a time
budget, in a worker process (``worker``) that is killed when the budget ends.

Opened documents are kept per ToolContext (``ctx.caches["pdf_read"]``, LRU, bounded by file bytes) keyed by
path, modification time and size, so an agent that reads the first pages, then searches, then asks for
other pages parses the file and extracts each page only once. A changed file gets a new key.
"""

from __future__ import annotations

import io
import json
import logging
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pypdf import PdfReader

from tools.context import PdfLimits
from tools.errors import PdfReadError
from tools.pdf_read.models import PdfMetadata
from tools.pdf_read.worker import PARSE_ERRORS, clean_text

log = logging.getLogger(__name__)

CACHE_KEY = "pdf_read"
CACHE_MAX_BYTES = 64 * 1024 * 1024
"""Total size of the source files kept open; the least recently used documents are dropped first."""
MAX_PAGE_CHARS = 1_000_000
"""Text kept per page (a page's text past this is dropped: no answer uses more than ``max_chars`` at once)."""
_MAGIC_WINDOW = 1024

_CACHE_LOCK = threading.Lock()


class PdfTimeBudgetExceeded(Exception):
    """Extraction stopped at the time budget; ``page`` is the first page not extracted."""

    def __init__(self, page: int) -> None:
        super().__init__(page)
        self.page = page


class PdfDocument:
    """An opened, checked PDF whose page texts are extracted on demand, once, in a killable worker process.

    ``texts(numbers, deadline)`` yields ``(n, text)`` for pages ``numbers`` (1-based), from the cache or from a
    ``tools.pdf_read.worker`` child started for the pages not extracted yet; at ``deadline`` (``time.monotonic``)
    the child is killed and ``PdfTimeBudgetExceeded`` raised. Safe to share across threads.
    """

    def __init__(self, path: Path, reader: PdfReader, size: int, page_count: int, metadata: PdfMetadata):
        self.path = path
        self.size = size
        self.page_count = page_count
        self.metadata = metadata
        self._texts: dict[int, str] = {}
        self._extracting = threading.Lock()
        del reader  # parsed once for the checks, page count and metadata; pages are extracted by the worker

    def texts(
        self, numbers: Iterable[int], deadline: float, max_chars: int = MAX_PAGE_CHARS
    ) -> Iterator[tuple[int, str]]:
        numbers = list(numbers)
        index = 0
        while index < len(numbers):
            if numbers[index] in self._texts:
                yield numbers[index], self._texts[numbers[index]]
                index += 1
                continue
            # One extraction per document at a time: a thread that waits finds the pages another one extracted.
            if not self._extracting.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise PdfTimeBudgetExceeded(numbers[index])
            try:
                missing = [n for n in numbers[index:] if n not in self._texts]
                for extracted, text in self._extract(missing, deadline, max_chars) if missing else ():
                    self._texts[extracted] = text
                    while index < len(numbers) and numbers[index] in self._texts:
                        yield numbers[index], self._texts[numbers[index]]
                        index += 1
            finally:
                self._extracting.release()

    def _extract(self, numbers: list[int], deadline: float, max_chars: int) -> Iterator[tuple[int, str]]:
        """Run the worker on ``numbers``; yield each page as it arrives; kill it at ``deadline``."""
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("worker.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            job = {"path": str(self.path), "pages": numbers, "max_chars": max_chars}
            process.stdin.write((json.dumps(job) + "\n").encode())
            process.stdin.close()
            for number in numbers:
                line = _read_line(process.stdout, deadline)
                if line is None:
                    raise PdfTimeBudgetExceeded(number)
                if not line:
                    log.warning("pdf worker ended early on %s (exit %s)", self.path.name, process.poll())
                    raise PdfReadError(
                        f"A página {number} do PDF não pôde ser lida (o leitor parou).",
                        code="pdf_corrupt",
                        detail={"page": number},
                    )
                answer = json.loads(line)
                if "error" in answer:
                    log.warning("text extraction failed on page %d: %s", number, answer.get("reason"))
                    raise PdfReadError(
                        f"A página {number} do PDF está corrompida e não pôde ser lida.",
                        code="pdf_corrupt",
                        detail={"page": number, "reason": answer.get("reason")},
                    )
                yield int(answer["page"]), str(answer["text"])
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _read_line(stream: IO[bytes], deadline: float) -> bytes | None:
    """One line of the worker (b"" at its end), or None when ``deadline`` passes first."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    ready, _, _ = select.select([stream], [], [], remaining)
    if not ready:
        return None
    return stream.readline()


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
    except PARSE_ERRORS as error:
        raise _corrupt(path, error) from None
    if reader.is_encrypted:
        try:
            unlocked = bool(reader.decrypt(""))  # owner-password-only PDFs open with an empty user password
        except PARSE_ERRORS as error:
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


_COUNT_ERRORS: tuple[type[BaseException], ...] = (*PARSE_ERRORS, OverflowError)


def _declared_page_count(reader: PdfReader) -> int | None:
    """The page tree's own ``/Count`` (read without walking the tree; may lie, so only used to refuse early)."""
    try:
        root: Any = reader.trailer["/Root"]
        return int(root["/Pages"]["/Count"])
    except _COUNT_ERRORS:
        return None


def _page_count(reader: PdfReader, path: Path, limits: PdfLimits) -> int:
    declared = _declared_page_count(reader)
    if declared is not None and declared > limits.max_pages:  # walking a 20,000-page tree alone takes seconds
        raise PdfReadError(
            f"O PDF tem {declared} páginas; o limite é {limits.max_pages}.",
            code="pdf_too_large",
            detail={"pages": declared, "max_pages": limits.max_pages},
        )
    try:
        count = len(reader.pages)
    except PARSE_ERRORS as error:
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
    except PARSE_ERRORS:
        return PdfMetadata()
    if info is None:
        return PdfMetadata()

    def text(key: str) -> str | None:
        try:
            value = info.get(key)
        except PARSE_ERRORS:
            return None
        if value is None:
            return None
        return clean_text(str(value)) or None

    def date(attr: str) -> str | None:
        try:
            value: datetime | None = getattr(info, attr)
        except PARSE_ERRORS:
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
