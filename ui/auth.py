"""Optional login for the chat: none (default), a single password user, or a trusted proxy header.

Chainlit needs ``CHAINLIT_AUTH_SECRET`` to sign sessions when login is on: when it is unset, one is generated
once into ``DATA_DIR/chainlit-auth-secret`` (mode 0600) and reused.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from vozbd.settings import Settings

log = logging.getLogger("vozbd.ui")

SECRET_ENV = "CHAINLIT_AUTH_SECRET"


class AuthConfigError(ValueError):
    """The auth settings are inconsistent (message in pt-BR, shown by the CLI)."""


def auth_secret_file(settings: Settings) -> Path:
    return settings.data_dir / "chainlit-auth-secret"


def ensure_auth_secret(settings: Settings) -> str:
    """``CHAINLIT_AUTH_SECRET`` from the environment, else the stored one, else a new one (0600)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = auth_secret_file(settings)
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        log.info("generated Chainlit auth secret at %s", path)
    os.environ[SECRET_ENV] = value
    return value


def check_auth_settings(settings: Settings) -> None:
    """Raise ``AuthConfigError`` when the login settings cannot work (checked before anything starts)."""
    if settings.ui_auth == "password" and (settings.ui_password is None or not settings.ui_password.get_secret_value()):
        raise AuthConfigError("VOZBD_UI_AUTH=password exige VOZBD_UI_PASSWORD (e opcionalmente VOZBD_UI_USERNAME).")
    if settings.ui_auth == "header" and not settings.ui_auth_header.strip():
        raise AuthConfigError("VOZBD_UI_AUTH=header exige VOZBD_UI_AUTH_HEADER (ex.: X-Forwarded-User).")


def install_auth(settings: Settings) -> None:
    """Register the Chainlit auth callback that ``settings.ui_auth`` asks for (nothing for "none")."""
    if settings.ui_auth == "none":
        return
    check_auth_settings(settings)
    import chainlit as cl

    if settings.ui_auth == "password":
        assert settings.ui_password is not None
        username = settings.ui_username
        password = settings.ui_password.get_secret_value()

        @cl.password_auth_callback
        async def _password(user: str, given: str) -> cl.User | None:
            ok = hmac.compare_digest(user.encode(), username.encode()) & hmac.compare_digest(
                given.encode(), password.encode()
            )
            if not ok:
                log.info("login refused for user %r", user)
                return None
            return cl.User(identifier=user, metadata={"provider": "password"})

    elif settings.ui_auth == "header":
        header = settings.ui_auth_header.lower()

        @cl.header_auth_callback
        async def _header(headers) -> cl.User | None:  # starlette Headers
            value = headers.get(header)
            if not value:
                log.info("request without auth header %s refused", header)
                return None
            return cl.User(identifier=value, metadata={"provider": "header"})

    ensure_auth_secret(settings)
