"""Input and output models of the pdf-read tool."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vozbd_core.text import plural


class ReadPdfInput(BaseModel):
    path: str = Field(
        min_length=1,
        description=(
            "O PDF a ler: o id (nome do arquivo) de um PDF enviado pelo usuário, ou um caminho dentro "
            "de uma pasta permitida. Caminhos fora das pastas permitidas são recusados."
        ),
    )
    pages: str | None = Field(
        None,
        description='Páginas a ler, numeradas a partir de 1, ex.: "1-3,7". Omita para ler o início do documento.',
    )
    search: str | None = Field(
        None,
        description=(
            "Frase a procurar no PDF (sem diferenciar maiúsculas nem acentos). Devolve as páginas e o "
            "texto em volta de cada ocorrência, sem carregar o documento inteiro."
        ),
    )


class PdfMetadata(BaseModel):
    title: str | None = None
    author: str | None = None
    subject: str | None = None
    creator: str | None = None
    producer: str | None = None
    created: str | None = Field(None, description="Creation date, ISO 8601.")
    modified: str | None = Field(None, description="Modification date, ISO 8601.")


class PdfPage(BaseModel):
    number: int = Field(description="Page number, starting at 1.")
    text: str


class PdfMatch(BaseModel):
    page: int = Field(description="Page number, starting at 1.")
    snippet: str = Field(description="The matched phrase with surrounding text.")


class PdfReadResult(BaseModel):
    file_name: str
    page_count: int
    metadata: PdfMetadata
    pages: list[PdfPage] = Field(default_factory=list)
    matches: list[PdfMatch] = Field(default_factory=list)
    truncated: bool = Field(False, description="True when more text exists than was returned.")
    chars_returned: int = 0
    note: str | None = Field(None, description="Hint in pt-BR about what was left out and how to get it.")

    def to_text(self) -> str:
        lines = [f"Arquivo: {self.file_name} ({plural(self.page_count, 'página')})"]
        meta = [f"{label}: {value}" for label, value in _meta_labels(self.metadata) if value]
        if meta:
            lines.append("; ".join(meta))
        if self.matches:
            lines.append(f"{len(self.matches)} ocorrência(s):")
            lines.extend(f"- página {m.page}: {m.snippet}" for m in self.matches)
        for page in self.pages:
            lines.append(f"\n--- Página {page.number} ---")
            lines.append(page.text or "(página sem texto)")
        if self.note:
            lines.append(f"\n{self.note}")
        return "\n".join(lines)


def _meta_labels(meta: PdfMetadata) -> list[tuple[str, str | None]]:
    return [
        ("Título", meta.title),
        ("Autor", meta.author),
        ("Assunto", meta.subject),
        ("Criado em", meta.created),
        ("Modificado em", meta.modified),
    ]
