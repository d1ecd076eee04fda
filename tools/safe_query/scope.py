"""The schemas a PostgreSQL connection may read: its policy's ``schemas``, else its login's search path.

Every query of ``run_query``/``explain_query`` is confined to them: the validator refuses tables qualified with
another schema and filters information_schema (``confine``); the pinned session sets ``search_path`` to
``pg_catalog`` plus these schemas (``session``). MariaDB/MySQL connections are confined to their database instead
(the validator's ``database``); SQLite has one database per connection.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from tools.context import ToolContext
from tools.db.connect import ResolvedConnection, db_error
from tools.policy import ConnectionPolicy

log = logging.getLogger(__name__)

DEFAULT_SCHEMAS = ("public",)
"""When the login's search path names no existing schema."""


def connection_schemas(
    ctx: ToolContext, conn: ResolvedConnection, engine: Engine, policy: ConnectionPolicy
) -> tuple[str, ...] | None:
    """The schemas ``conn`` may read (PostgreSQL), read once per URL; None for other dialects (not confined)."""
    if conn.dialect != "postgres":
        return None
    if policy.schemas:
        return tuple(policy.schemas)
    key = conn.url.render_as_string(hide_password=False)
    cache: dict[str, tuple[str, ...]] = ctx.caches.setdefault("search_path_schemas", {})
    schemas = cache.get(key)
    if schemas is None:
        try:
            with engine.connect() as db:
                found = db.execute(text("SELECT pg_catalog.current_schemas(false)")).scalar() or []
                db.rollback()
        except SQLAlchemyError as error:
            raise db_error(error, conn) from None
        schemas = cache[key] = tuple(str(s) for s in found) or DEFAULT_SCHEMAS
        log.info("connection %s confined to schemas %s", conn.name, ", ".join(schemas))
    return schemas
