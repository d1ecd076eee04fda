"""App database URL normalisation (no SQLAlchemy import: settings use it)."""

from __future__ import annotations

_PG_PREFIXES = ("postgres://", "postgresql://")


def normalize_app_db_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` → ``postgresql+psycopg://`` (the driver we ship); others unchanged."""
    url = url.strip()
    for prefix in _PG_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (any driver suffix) as a libpq/psycopg URL: ``postgresql://...``."""
    url = normalize_app_db_url(url)
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise ValueError("not a PostgreSQL URL")
    return "postgresql://" + rest
