"""PDF generators for tests (pdf-read, agent, UI, MCP). Each writes a real PDF file and returns its path.

Text uses DejaVu Sans when the Debian font is installed (full Unicode), else fpdf2's core Helvetica
(latin-1, which covers every pt-BR accent).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

PT_BR_PHRASE = "ação, São Paulo, não, câmbio, coração"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _new_pdf(title: str | None = None, author: str | None = None) -> FPDF:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 6, 30, 12, 0, tzinfo=UTC))  # deterministic metadata
    if DEJAVU.exists():
        pdf.add_font("DejaVu", "", str(DEJAVU))
        pdf.set_font("DejaVu", size=11)
    else:
        pdf.set_font("helvetica", size=11)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    return pdf


def text_pdf(path: Path, pages: list[str], *, title: str | None = None, author: str | None = None) -> Path:
    """A PDF with one page per string in ``pages``."""
    pdf = _new_pdf(title, author)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def accents_pdf(path: Path) -> Path:
    """One page with pt-BR accents, titled "Relatório de operações"."""
    return text_pdf(
        path,
        [f"Relatório trimestral. Palavras: {PT_BR_PHRASE}. Fim do relatório."],
        title="Relatório de operações",
        author="Conceição Araújo",
    )


def multipage_pdf(path: Path, page_count: int = 12, *, words_per_page: int = 60) -> Path:
    """``page_count`` pages; page N starts with "Página N." and pages 3 and 9 mention "Contrato de Câmbio"."""
    pages = []
    for number in range(1, page_count + 1):
        body = " ".join(f"palavra{number}_{i}" for i in range(words_per_page))
        extra = " Cláusula sobre o CONTRATO DE CÂMBIO assinado em São Paulo." if number in (3, 9) else ""
        pages.append(f"Página {number}. {body}.{extra}")
    return text_pdf(path, pages, title="Documento longo")


def encrypted_pdf(path: Path, password: str = "segredo") -> Path:
    """A text PDF encrypted with a user password (pypdf ``encrypt``)."""
    plain = io.BytesIO()
    source = _new_pdf()
    source.add_page()
    source.multi_cell(0, 6, f"Conteúdo confidencial: {PT_BR_PHRASE}")
    source.output(plain)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain.getvalue())))
    writer.encrypt(user_password=password, owner_password=password + "-dono", algorithm="AES-128")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def corrupt_pdf(path: Path) -> Path:
    """A PDF whose bytes were truncated in the middle (keeps the %PDF header)."""
    whole = text_pdf(path, [f"Texto que vai se perder. {PT_BR_PHRASE}"] * 2).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def image_only_pdf(path: Path) -> Path:
    """A "scanned" PDF: one page holding only a raster image, no text layer."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(image)
    for y in range(20, 180, 20):
        draw.line((20, y, 380, y), fill="black", width=3)
    pdf = _new_pdf()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=180)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def not_a_pdf(path: Path) -> Path:
    """A plain-text file renamed to ``.pdf``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("isto não é um PDF, é só texto\n", encoding="utf-8")
    return path


def symlink_escape(link: Path, target: Path) -> Path:
    """A symlink at ``link`` (inside an allowed folder) pointing to ``target`` (outside it)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link
