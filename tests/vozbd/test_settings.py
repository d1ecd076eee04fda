"""Settings: .env.example documents every field, values normalise, defaults are sane."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from vozbd.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _documented_names() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*VOZBD_([A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_env_example_documents_every_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    documented = _documented_names()
    assert fields - documented == set(), "settings missing from .env.example"
    assert documented - fields == set(), ".env.example names unknown settings"


def test_env_example_values_parse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("VOZBD_"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.max_rows == 1000
    assert "~" not in str(settings.data_dir)


def test_lists_split_on_commas(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_MCP_CONNECTIONS", "vendas, suporte")
    monkeypatch.setenv("VOZBD_PDF_DIRS", f"{tmp_path}/a,{tmp_path}/b")
    settings = Settings()
    assert settings.mcp_connections == ["vendas", "suporte"]
    assert settings.pdf_dirs == [tmp_path / "a", tmp_path / "b"]
    assert settings.allowed_pdf_dirs[0] == settings.uploads_dir


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_MAX_ROWS", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_derived_paths_follow_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "d"))
    settings = Settings()
    assert settings.registry_file == tmp_path / "d" / "vozbd.sqlite3"
    assert settings.models_path == tmp_path / "d" / "models"
    assert settings.checkpoint_file == tmp_path / "d" / "checkpoints.sqlite3"
