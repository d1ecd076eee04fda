"""pdf-read: read text, metadata and search hits from PDFs inside the allowed folders."""

from tools.pdf_read.models import PdfMatch, PdfMetadata, PdfPage, PdfReadResult, ReadPdfInput
from tools.pdf_read.reader import read_pdf

__all__ = ["PdfMatch", "PdfMetadata", "PdfPage", "PdfReadResult", "ReadPdfInput", "read_pdf"]
