"""Settings: .env.example documents every field, values normalise, defaults are sane."""

from __future__ import annotations

import os
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


def test_env_example_values_parse_and_are_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each uncommented line of .env.example shows its setting's default: copying the file changes nothing."""
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("VOZBD_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("VOZBD_CONFIG_FILE", str(tmp_path / "absent.toml"))  # not the machine's config file
    defaults = Settings()
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assigned = dict(line.split("=", 1) for line in text.splitlines() if line.startswith("VOZBD_"))
    for name, value in assigned.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert len(assigned) > 20 and settings.max_rows == 1000
    assert "~" not in str(settings.data_dir)
    differing = {
        name: (value, getattr(defaults, name[6:].lower()))
        for name, value in assigned.items()
        if getattr(settings, name[6:].lower()) != getattr(defaults, name[6:].lower())
    }
    assert differing == {}, "lines of .env.example that are not the default (value, default)"


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


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VOZBD_REDIS_URL", "garbage", "use a Redis URL"),  # was a limits ConfigurationError traceback from serve
        ("VOZBD_REDIS_URL", "http://127.0.0.1:6379", "use a Redis URL"),
        ("VOZBD_RATE_LIMIT_PER_IP", "0/minute", "is not like"),  # a limit of 0 refused every request
        ("VOZBD_SPEECH_URL", "fala.interna:8010", "speech service's address"),  # every STT/TTS call was a 503
    ],
)
def test_settings_that_would_break_the_server_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://r:6380", "async+redis://r", "  "])
def test_redis_urls_the_limiter_opens_are_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_REDIS_URL", url)
    assert Settings().redis_url == (url.strip() or None)


def test_derived_paths_follow_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "d"))
    settings = Settings()
    assert settings.registry_file == tmp_path / "d" / "vozbd.sqlite3"
    assert settings.models_path == tmp_path / "d" / "models"
    assert settings.checkpoint_file == tmp_path / "d" / "checkpoints.sqlite3"


@pytest.mark.parametrize(
    ("field", "conventional"),
    [
        ("openai_api_key", "OPENAI_API_KEY"),
        ("gemini_api_key", "GEMINI_API_KEY"),
        ("gemini_api_key", "GOOGLE_API_KEY"),
        ("openrouter_api_key", "OPENROUTER_API_KEY"),
    ],
)
def test_provider_keys_accept_their_conventional_env_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, field: str, conventional: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"VOZBD_{field.upper()}", raising=False)
    monkeypatch.setenv(conventional, "from-conventional")
    assert getattr(Settings(), field).get_secret_value() == "from-conventional"
    monkeypatch.setenv(f"VOZBD_{field.upper()}", "from-vozbd")
    assert getattr(Settings(), field).get_secret_value() == "from-vozbd", "the VOZBD_ name wins"
    assert getattr(Settings(**{field: "from-flag"}), field).get_secret_value() == "from-flag"


def test_provider_key_from_the_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("VOZBD_OPENAI_API_KEY", raising=False)
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-dotenv\n", encoding="utf-8")
    settings = Settings()
    assert settings.openai_api_key is not None and settings.openai_api_key.get_secret_value() == "sk-dotenv"
    assert "sk-dotenv" not in repr(settings)
