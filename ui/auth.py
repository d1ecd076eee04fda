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

    from ui.config import UIConfig

log = logging.getLogger("vozbd.ui")

SECRET_ENV = "CHAINLIT_AUTH_SECRET"


class AuthConfigError(ValueError):
    """The auth settings are inconsistent (message in pt-BR, shown by the CLI)."""


def auth_secret_file(config: UIConfig) -> Path:
    return config.data_dir / "chainlit-auth-secret"


def ensure_auth_secret(config: UIConfig) -> str:
    """``CHAINLIT_AUTH_SECRET`` from the environment, else the stored one, else a new one (0600)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = auth_secret_file(config)
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


def check_auth_config(config: UIConfig) -> None:
    """Raise ``AuthConfigError`` when the login settings cannot work (checked before anything starts)."""
    if config.auth == "password" and not config.password:
        raise AuthConfigError("VOZBD_UI_AUTH=password exige VOZBD_UI_PASSWORD (e opcionalmente VOZBD_UI_USERNAME).")
    if config.auth == "header" and not config.auth_header.strip():
        raise AuthConfigError("VOZBD_UI_AUTH=header exige VOZBD_UI_AUTH_HEADER (ex.: X-Forwarded-User).")


def install_auth(config: UIConfig) -> None:
    """Register the Chainlit auth callback that ``config.auth`` asks for (nothing for "none")."""
    if config.auth == "none":
        return
    check_auth_config(config)
    import chainlit as cl

    if config.auth == "password":
        username = config.username
        password = config.password or ""  # check_auth_config refused an empty one

        @cl.password_auth_callback
        async def _password(user: str, given: str) -> cl.User | None:
            ok = hmac.compare_digest(user.encode(), username.encode()) & hmac.compare_digest(
                given.encode(), password.encode()
            )
            if not ok:
                log.info("login refused for user %r", user)
                return None
            return cl.User(identifier=user, metadata={"provider": "password"})

    elif config.auth == "header":
        header = config.auth_header.lower()

        @cl.header_auth_callback
        async def _header(headers) -> cl.User | None:  # starlette Headers
            value = headers.get(header)
            if not value:
                log.info("request without auth header %s refused", header)
                return None
            return cl.User(identifier=value, metadata={"provider": "header"})

    ensure_auth_secret(config)
