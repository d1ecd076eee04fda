"""Typed errors of the app database, mapped once per surface (HTTP 503, CLI exit code)."""

from __future__ import annotations

from tools.errors import CodedError

APP_DB_UNAVAILABLE_MESSAGE = (
    "O banco de dados do aplicativo está indisponível no momento; tente novamente em alguns segundos."
)


class AppDatabaseError(CodedError):
    """The app database could not be reached or dropped the connection (retryable: HTTP 503)."""

    code = "app_db_unavailable"

    def __init__(self, message: str = APP_DB_UNAVAILABLE_MESSAGE, *, detail: dict[str, object] | None = None):
        super().__init__(message, detail=dict(detail or {}))


class AppDatabaseConfigError(CodedError):
    """The app database URL is malformed or names a driver that is not installed (not retryable)."""

    code = "app_db_config"
