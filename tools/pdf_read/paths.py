"""Resolve a caller-given path or uploaded file id to a file inside the allowed folders."""

from __future__ import annotations

import logging
from pathlib import Path

from tools.errors import PdfReadError

log = logging.getLogger(__name__)


def resolve_pdf_path(raw: str, allowed_dirs: tuple[Path, ...]) -> Path:
    """Return the real path of ``raw`` if it lies inside one of ``allowed_dirs``.

    An absolute path is taken as is. A relative path (e.g. an uploaded file id, which is a bare
    file name in the uploads folder ``allowed_dirs[0]``) is looked up in each allowed folder in
    order. Symlinks and ``..`` are resolved before the check, so neither can escape.
    """
    roots = [d.expanduser().resolve() for d in allowed_dirs]
    if not roots:
        raise PdfReadError(
            "Nenhuma pasta de PDFs está configurada; não é possível ler arquivos.",
            code="pdf_forbidden",
        )
    text = raw.strip()
    if "\x00" in text:
        raise PdfReadError("Caminho de arquivo inválido.", code="pdf_not_found")
    try:
        given = Path(text).expanduser()
    except RuntimeError:  # "~user" that does not exist
        given = Path(text)
    candidates = [given] if given.is_absolute() else [root / given for root in roots]
    escaped = False
    for candidate in candidates:
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError) as error:  # symlink loop, unreadable folder
            log.warning("cannot resolve pdf path %r: %s", raw, error)
            continue
        if not any(real.is_relative_to(root) for root in roots):
            escaped = True  # via "..", a symlink, or an absolute path elsewhere
            continue
        if real.is_file():
            return real
    if escaped:
        log.warning("pdf path refused (outside allowed dirs): %r", raw)
        raise PdfReadError(
            "Acesso negado: o arquivo está fora das pastas permitidas para PDFs. "
            "Use o id de um PDF enviado pelo usuário ou um caminho dentro de uma pasta permitida.",
            code="pdf_forbidden",
            detail={"path": raw},
        )
    raise PdfReadError(
        f"Arquivo não encontrado: {given.name or raw}. Confira o nome ou peça ao usuário para enviar o PDF.",
        code="pdf_not_found",
        detail={"path": raw},
    )
