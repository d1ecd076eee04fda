"""Composition root: build the objects each entry point needs from one Settings."""

from __future__ import annotations

from vozbd.settings import Settings
from tools.context import PdfLimits, QueryLimits, ToolContext


def build_tool_context(settings: Settings) -> ToolContext:
    from tools.db.registry import ConnectionRegistry

    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    registry = ConnectionRegistry(settings.registry_file, secret_key=secret, key_file=settings.secret_key_file)
    allowed = None
    return ToolContext(
        registry=registry,
        query_limits=QueryLimits(max_rows=settings.max_rows, timeout_s=settings.query_timeout_s),
        pdf_limits=PdfLimits(
            allowed_dirs=tuple(settings.allowed_pdf_dirs),
            max_bytes=int(settings.pdf_max_mb * 1024 * 1024),
            max_pages=settings.pdf_max_pages,
            max_chars=settings.pdf_max_chars,
        ),
        schema_cache_ttl_s=settings.schema_cache_ttl_s,
        schema_prompt_budget=settings.schema_prompt_budget,
        default_connection=settings.default_db,
        allowed_connections=allowed,
    )
