"""Ids of uploaded PDFs (ui.uploads): readable for one user, unguessable behind a login proxy (red-team pass 2)."""

from __future__ import annotations

from pathlib import Path

from ui.uploads import upload_id


def test_one_user_keeps_readable_names_and_never_overwrites(tmp_path: Path) -> None:
    assert upload_id(tmp_path, "Relatório Março.pdf") == "Relatorio_Marco.pdf"
    (tmp_path / "Relatorio_Marco.pdf").write_bytes(b"%PDF")
    assert upload_id(tmp_path, "Relatório Março.pdf") == "Relatorio_Marco-2.pdf"
    assert upload_id(tmp_path, "../../etc/passwd") == "passwd.pdf"  # a name, never a path


def test_behind_a_login_proxy_ids_cannot_be_guessed_from_the_file_name(tmp_path: Path) -> None:
    """Several users share the uploads folder: "contrato.pdf" must not open a colleague's upload."""
    first = upload_id(tmp_path, "contrato.pdf", unguessable=True)
    second = upload_id(tmp_path, "contrato.pdf", unguessable=True)
    assert first != second and first != "contrato.pdf"
    assert first.startswith("contrato-") and first.endswith(".pdf") and len(first) == len("contrato-") + 16 + 4
    assert "/" not in upload_id(tmp_path, "../../etc/passwd", unguessable=True)
