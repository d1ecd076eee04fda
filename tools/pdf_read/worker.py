"""Page-text extraction in a child process that the caller can kill: ``python tools/pdf_read/worker.py``.

One crafted page can keep pypdf busy for minutes in a single call (27 s CPU measured on one page of a 2,000-page
bomb), and no Python thread can be interrupted from outside. So ``PdfDocument.texts`` runs the extraction here:
the parent writes ``{"path": ..., "pages": [...], "max_chars": N}`` on stdin and reads one JSON line per page
(``{"page": n, "text": ...}`` or ``{"page": n, "error": "corrupt", "reason": ...}``) until its time budget ends,
then kills the process. The child caps its own address space (``MAX_ADDRESS_SPACE``), so memory stays bounded too.

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
_SPACES = re.compile(r"[ \t]+")
MAX_ADDRESS_SPACE = 1024 * 1024 * 1024
"""The worker's address-space limit (RLIMIT_AS): a decompression bomb fails with MemoryError instead."""


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\x00", "")
    return _SPACES.sub(" ", text).strip()


def _limit_memory() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MAX_ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(MAX_ADDRESS_SPACE, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main() -> int:
    _limit_memory()
    logging.disable(logging.WARNING)  # pypdf warns on every malformed object; the parent logs what matters
    from pypdf import PdfReader

    job = json.loads(sys.stdin.readline())
    max_chars = int(job["max_chars"])
    with open(job["path"], "rb") as source:
        reader = PdfReader(io.BytesIO(source.read()), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    out = sys.stdout
    for number in job["pages"]:
        try:
            text = clean_text(reader.pages[number - 1].extract_text() or "")[:max_chars]
            line = {"page": number, "text": text}
        except _PAGE_ERRORS as error:
            line = {"page": number, "error": "corrupt", "reason": type(error).__name__}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
