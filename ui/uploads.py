"""Names of uploaded PDFs in the shared uploads folder: the id ``read_pdf`` takes.

The folder is one for the whole server. With one user (no login, or a password) the id is the file's own readable
name (``relatorio.pdf``). With several people behind a login proxy (``VOZBD_UI_AUTH=header``) a readable name is
a guessable one — anybody could ask the assistant to read "contrato.pdf" and get a colleague's upload — so the id
gets a random suffix that only the uploader's conversation knows.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path


def upload_id(uploads: Path, name: str, *, unguessable: bool = False) -> str:
    """A safe file name for ``name`` in ``uploads`` that does not exist yet (an upload never overwrites another)."""
    folded = unicodedata.normalize("NFKD", Path(name).name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(folded).stem).strip("._") or "documento"
    if unguessable:
        while True:
            candidate = f"{stem}-{secrets.token_hex(8)}.pdf"  # 64 random bits
            if not (uploads / candidate).exists():
                return candidate
    candidate, n = f"{stem}.pdf", 1
    while (uploads / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}.pdf"
    return candidate
