"""Login settings: the Chainlit auth secret is generated once, private, and reused."""

from __future__ import annotations

import stat

import pytest

from ui.auth import SECRET_ENV, AuthConfigError, ensure_auth_secret, install_auth
from vozbd.settings import Settings
from vozbd.wiring import ui_config


def test_auth_secret_generated_0600_and_reused(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    settings = ui_config(Settings(data_dir=tmp_path))
    first = ensure_auth_secret(settings)
    path = tmp_path / "chainlit-auth-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv(SECRET_ENV)
    assert ensure_auth_secret(settings) == first and len(first) >= 32


def test_env_secret_wins(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert ensure_auth_secret(ui_config(Settings(data_dir=tmp_path))) == "from-env"
    assert not (tmp_path / "chainlit-auth-secret").exists()


def test_password_auth_needs_a_password(tmp_path) -> None:
    with pytest.raises(AuthConfigError, match="VOZBD_UI_PASSWORD"):
        install_auth(ui_config(Settings(data_dir=tmp_path, ui_auth="password")))
