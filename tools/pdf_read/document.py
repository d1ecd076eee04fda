"""Open a PDF (size and signature checks here; parsing, page count and metadata in a worker) and extract page text
on demand, under a time budget, in a worker process (``worker``) that is killed when the budget ends.

Nothing in this process parses the file: a crafted page tree can take seconds to walk, so opening the document
(trailer, page tree, decryption, metadata) runs in the same killable worker as the extraction, and the whole
``read_pdf`` call is under ``PdfLimits.time_budget_s``. The worker that opened a document is kept for its first
extraction, so the page tree is walked once per call.

Opened documents are kept per ToolContext (``ctx.caches["pdf_read"]``, LRU, bounded by file bytes) keyed by
path, modification time and size, so an agent that reads the first pages, then searches, then asks for
other pages opens the file and extracts each page only once. A changed file gets a new key.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tools.context import PdfLimits
from tools.errors import PdfReadError
from tools.pdf_read.models import PdfMetadata

log = logging.getLogger(__name__)

CACHE_KEY = "pdf_read"
CACHE_MAX_BYTES = 64 * 1024 * 1024
"""Total size of the source files kept open; the least recently used documents are dropped first."""
MAX_PAGE_CHARS = 1_000_000
"""Text kept per page (a page's text past this is dropped: no answer uses more than ``max_chars`` at once)."""
_MAGIC_WINDOW = 1024
_CHUNK = 1 << 16
_WORKER = str(Path(__file__).with_name("worker.py"))

_CACHE_LOCK = threading.Lock()


class PdfTimeBudgetExceeded(Exception):
    """Extraction stopped at the time budget; ``page`` is the first page not extracted."""

    def __init__(self, page: int) -> None:
        super().__init__(page)
        self.page = page


class _Worker:
    """One ``worker.py`` child that has been asked to open ``path``; every read is bounded by a deadline."""

    def __init__(self, path: Path, max_pages: int) -> None:
        self.path = path
        self.process = subprocess.Popen(
            [sys.executable, _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._buffer = bytearray()
        self._send({"path": str(path), "max_pages": max_pages})

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # the worker already ended; the next read reports it
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()

    def read(self, deadline: float) -> dict[str, Any] | None:
        """The worker's next line, ``{}`` when it ended, None when ``deadline`` passes first.

        Reads the pipe's file descriptor directly (never a blocking ``readline``): a page's line can be megabytes,
        written in several chunks, and the deadline must hold even in the middle of one.
        """
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                return {}
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        return json.loads(line) if line.strip() else {}

    def extract(self, numbers: list[int], max_chars: int) -> None:
        self._send({"pages": numbers, "max_chars": max_chars})
        assert self.process.stdin is not None
        self.process.stdin.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()


class PdfDocument:
    """An opened, checked PDF whose page texts are extracted on demand, once, in a killable worker process.

    ``texts(numbers, deadline)`` yields ``(n, text)`` for pages ``numbers`` (1-based), from the cache or from a
    worker started for the pages not extracted yet (the one that opened the document, the first time); at
    ``deadline`` (``time.monotonic``) the worker is killed and ``PdfTimeBudgetExceeded`` raised. Safe to share
    across threads; ``release()`` kills an opening worker that no extraction used.
    """

    def __init__(self, path: Path, size: int, page_count: int, metadata: PdfMetadata, worker: _Worker | None = None):
        self.path = path
        self.size = size
        self.page_count = page_count
        self.metadata = metadata
        self._texts: dict[int, str] = {}
        self._extracting = threading.Lock()
        self._spare = worker
        self._spare_lock = threading.Lock()
        self._max_pages = page_count

    def release(self) -> None:
        """Kill the worker that opened the document if no extraction took it."""
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.kill()

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

    def _worker(self, first: int, deadline: float) -> _Worker:
        """The opening worker if still unused, else a new one that has opened the file again (within the budget)."""
        with self._spare_lock:
            worker, self._spare = self._spare, None
        if worker is not None:
            return worker
        worker = _Worker(self.path, self._max_pages)
        try:
            answer = worker.read(deadline)
        except BaseException:
            worker.kill()
            raise
        if answer is None:
            worker.kill()
            raise PdfTimeBudgetExceeded(first)
        if answer.get("info", {}).get("page_count") != self.page_count:
            worker.kill()
            log.warning("pdf %s reopened differently: %s", self.path.name, answer)
            raise PdfReadError(
                f"O PDF {self.path.name} mudou ou não pôde ser aberto de novo. Peça ao usuário para enviá-lo de novo.",
                code="pdf_corrupt",
            )
        return worker

    def _extract(self, numbers: list[int], deadline: float, max_chars: int) -> Iterator[tuple[int, str]]:
        """Run a worker on ``numbers``; yield each page as it arrives; kill it at ``deadline``."""
        worker = self._worker(numbers[0], deadline)
        try:
            worker.extract(numbers, max_chars)
            for number in numbers:
                answer = worker.read(deadline)
                if answer is None:
                    raise PdfTimeBudgetExceeded(number)
                if not answer:
                    log.warning("pdf worker ended early on %s (exit %s)", self.path.name, worker.process.poll())
                    raise PdfReadError(
                        f"A página {number} do PDF não pôde ser lida (o leitor parou).",
                        code="pdf_corrupt",
                        detail={"page": number},
                    )
                if "error" in answer:
                    log.warning("text extraction failed on page %d: %s", number, answer.get("reason"))
                    raise PdfReadError(
                        f"A página {number} do PDF está corrompida e não pôde ser lida.",
                        code="pdf_corrupt",
                        detail={"page": number, "reason": answer.get("reason")},
                    )
                yield int(answer["page"]), str(answer["text"])
        finally:
            worker.kill()


def open_document(path: Path, limits: PdfLimits, caches: dict[str, Any], deadline: float) -> PdfDocument:
    """The checked document at ``path`` (resolved, inside the allowed folders), from the cache when unchanged.

    A document not in the cache is opened by a worker within ``deadline``; the caller must ``release()`` it.
    """
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
    _check_signature(path)
    document = _open(path, stat.st_size, limits, deadline)
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


def _check_signature(path: Path) -> None:
    try:
        with path.open("rb") as source:
            head = source.read(_MAGIC_WINDOW)
    except PermissionError:
        raise PdfReadError(f"Sem permissão para ler o arquivo {path.name}.", code="pdf_forbidden") from None
    except OSError as error:
        log.warning("cannot read %s: %s", path, error)
        raise PdfReadError(f"Não foi possível abrir o arquivo {path.name}.", code="pdf_not_found") from None
    if b"%PDF-" not in head:
        raise PdfReadError(
            f"O arquivo {path.name} não é um PDF (o conteúdo não começa com a assinatura %PDF).",
            code="pdf_not_pdf",
        )


def _open(path: Path, size: int, limits: PdfLimits, deadline: float) -> PdfDocument:
    """Open ``path`` in a worker and turn its answer into a document (keeping the worker) or a PdfReadError."""
    worker = _Worker(path, limits.max_pages)
    try:
        answer = worker.read(deadline)
    except BaseException:
        worker.kill()
        raise
    if answer is None or not answer or "info" not in answer:
        worker.kill()
    if answer is None:
        log.warning("opening %s took longer than the %g s budget; worker killed", path.name, limits.time_budget_s)
        raise PdfReadError(
            f"O PDF {path.name} é pesado demais para abrir dentro do tempo limite ({limits.time_budget_s:g} s): "
            "a estrutura de páginas do arquivo é grande ou malformada. Peça ao usuário uma versão menor do documento.",
            code="pdf_time_budget",
            detail={"time_budget_s": limits.time_budget_s},
        )
    if "info" in answer:
        info = answer["info"]
        metadata = PdfMetadata(**{k: v for k, v in info["metadata"].items() if k in PdfMetadata.model_fields})
        return PdfDocument(path, size, int(info["page_count"]), metadata, worker)
    raise _open_error(path, answer, limits)


def _open_error(path: Path, answer: dict[str, Any], limits: PdfLimits) -> PdfReadError:
    code = answer.get("error")
    if code == "pdf_encrypted":
        return PdfReadError(
            f"O PDF {path.name} é protegido por senha; não é possível lê-lo. Peça ao usuário uma versão sem senha.",
            code="pdf_encrypted",
        )
    if code == "pdf_too_large":
        pages = int(answer.get("pages", 0))
        return PdfReadError(
            f"O PDF tem {pages} páginas; o limite é {limits.max_pages}.",
            code="pdf_too_large",
            detail={"pages": pages, "max_pages": limits.max_pages},
        )
    if code == "pdf_empty":
        return PdfReadError("O PDF não tem nenhuma página.", code="pdf_corrupt")
    log.warning("corrupt pdf %s: %s", path, answer.get("reason") or "the worker ended without an answer")
    return PdfReadError(
        f"O PDF {path.name} está corrompido ou incompleto e não pôde ser lido. Peça ao usuário para enviá-lo de novo.",
        code="pdf_corrupt",
        detail={"reason": str(answer.get("reason") or "worker ended")[:120]},
    )
