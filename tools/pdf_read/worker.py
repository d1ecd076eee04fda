"""Open a PDF and extract page text in a child process that the caller can kill: ``python tools/pdf_read/worker.py``.

Everything that parses the untrusted file runs here, never in the caller: reading the trailer, walking the page
tree (a crafted 2,000-page tree takes seconds), decryption, metadata, and page-text extraction (27 s CPU measured
on one page of a 2,000-page bomb). No Python thread can be interrupted from outside, so the caller (``document``)
reads this process's output under its time budget and kills it when the budget ends.

Protocol (one JSON object per line):

1. stdin ``{"path": ..., "max_pages": N}`` -> stdout ``{"info": {"page_count": n, "metadata": {...}}}`` or
   ``{"error": code, "reason": ..., "pages": n}`` (``code``: ``pdf_corrupt``, ``pdf_encrypted``,
   ``pdf_too_large``, ``pdf_empty``) and exit.
2. stdin ``{"pages": [...], "max_chars": N}`` (or end of input: exit) -> stdout one line per page:
   ``{"page": n, "text": ...}`` or ``{"page": n, "error": "corrupt", "reason": ...}``.

The child caps its own address space (``MAX_ADDRESS_SPACE``), so memory stays bounded too.

Run as a script, not as ``-m tools.pdf_read.worker``: the package's imports (pydantic models...) would double the
start-up time. So this module imports only the standard library and pypdf, and ``document`` imports its helpers.
"""

from __future__ import annotations

import io
import json
import logging
import re
import resource
import struct
import sys
import unicodedata
import zlib
from typing import Any

from pypdf.errors import PyPdfError

# pypdf parses untrusted bytes; malformed files surface as its own errors or as these.
PARSE_ERRORS: tuple[type[BaseException], ...] = (
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
_PAGE_ERRORS: tuple[type[BaseException], ...] = (*PARSE_ERRORS, MemoryError)
_COUNT_ERRORS: tuple[type[BaseException], ...] = (*PARSE_ERRORS, OverflowError)
_SPACES = re.compile(r"[ \t]+")
MAX_ADDRESS_SPACE = 1024 * 1024 * 1024
"""The worker's address-space limit (RLIMIT_AS): a decompression bomb fails with MemoryError instead."""
METADATA_FIELDS = {
    "title": "/Title",
    "author": "/Author",
    "subject": "/Subject",
    "creator": "/Creator",
    "producer": "/Producer",
}
METADATA_DATES = {"created": "creation_date", "modified": "modification_date"}


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\x00", "")
    return _SPACES.sub(" ", text).strip()


def _limit_memory() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MAX_ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(MAX_ADDRESS_SPACE, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _declared_page_count(reader: Any) -> int | None:
    """The page tree's own ``/Count`` (read without walking the tree; may lie, so only used to refuse early)."""
    try:
        return int(reader.trailer["/Root"]["/Pages"]["/Count"])
    except _COUNT_ERRORS:
        return None


def _metadata(reader: Any) -> dict[str, str | None]:
    try:
        info = reader.metadata
    except PARSE_ERRORS:
        return {}
    if info is None:
        return {}
    found: dict[str, str | None] = {}
    for name, key in METADATA_FIELDS.items():
        try:
            value = info.get(key)
        except PARSE_ERRORS:
            value = None
        found[name] = (clean_text(str(value)) or None) if value is not None else None
    for name, attr in METADATA_DATES.items():
        try:
            date = getattr(info, attr)
        except PARSE_ERRORS:
            date = None
        found[name] = date.isoformat() if date else None
    return found


def open_info(path: str, max_pages: int) -> tuple[Any, dict[str, Any]]:
    """The reader and the info line for ``path`` (``reader`` is None when the line is an error)."""
    from pypdf import PdfReader

    try:
        with open(path, "rb") as source:
            reader = PdfReader(io.BytesIO(source.read()), strict=False)
    except _PAGE_ERRORS as error:
        return None, {"error": "pdf_corrupt", "reason": f"{type(error).__name__}: {error}"[:300]}
    if reader.is_encrypted:
        try:
            unlocked = bool(reader.decrypt(""))  # owner-password-only PDFs open with an empty user password
        except PARSE_ERRORS:
            unlocked = False
        if not unlocked:
            return None, {"error": "pdf_encrypted", "reason": "needs a password"}
    declared = _declared_page_count(reader)
    if declared is not None and declared > max_pages:  # walking a 20,000-page tree alone takes seconds
        return None, {"error": "pdf_too_large", "pages": declared, "reason": "declared /Count over the limit"}
    try:
        count = len(reader.pages)
    except _PAGE_ERRORS as error:
        return None, {"error": "pdf_corrupt", "reason": f"page tree: {type(error).__name__}: {error}"[:300]}
    if count > max_pages:
        return None, {"error": "pdf_too_large", "pages": count, "reason": "page tree over the limit"}
    if count == 0:
        return None, {"error": "pdf_empty", "reason": "no pages"}
    return reader, {"info": {"page_count": count, "metadata": _metadata(reader)}}


def _write(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main() -> int:
    _limit_memory()
    logging.disable(logging.WARNING)  # pypdf warns on every malformed object; the parent logs what matters
    job = json.loads(sys.stdin.readline())
    reader, info = open_info(str(job["path"]), int(job["max_pages"]))
    _write(info)
    if reader is None:
        return 0
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    job = json.loads(line)
    max_chars = int(job["max_chars"])
    for number in job["pages"]:
        try:
            text = clean_text(reader.pages[number - 1].extract_text() or "")[:max_chars]
            answer: dict[str, Any] = {"page": number, "text": text}
        except _PAGE_ERRORS as error:
            answer = {"page": number, "error": "corrupt", "reason": type(error).__name__}
        _write(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
