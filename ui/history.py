"""Chat history in the sidebar: Chainlit's SQLAlchemy data layer on the app database, when a login is on.

Threads, messages and steps are stored in the app database (tables created by the app's migrations, revision
0004); a resumed thread keeps its id, which is also the agent's conversation id, so the agent's memory continues
too. Images and audio of past answers are not stored (no blob storage configured): their text, SQL and tables are.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

    from ui.config import UIServices

log = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """The app database URL for SQLAlchemy's asyncio engine (aiosqlite for SQLite; psycopg is async already)."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    return url


def history_data_layer(url: str) -> SQLAlchemyDataLayer:
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

    class HistoryDataLayer(SQLAlchemyDataLayer):
        """SQLite has no arrays nor JSON binding: lists and dicts travel as JSON text there."""

        async def execute_sql(self, query: str, parameters: dict[str, Any]) -> Any:
            if self.engine.dialect.name == "sqlite":
                parameters = {
                    key: json.dumps(value) if isinstance(value, list | dict) else value
                    for key, value in parameters.items()
                }
            elif any(isinstance(value, dict) for value in parameters.values()):
                parameters = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in parameters.items()}
            return await super().execute_sql(query, parameters)

    return HistoryDataLayer(conninfo=async_url(url))


def _no_data_layer() -> None:
    return None


def install_history(services: UIServices) -> bool:
    """Register the data layer (and so the history sidebar) when the UI has a login; returns whether it did.

    ``services.history_url`` is the app database, migrated by the composition root (its tables come from there).
    """
    import chainlit as cl

    if services.config.auth == "none" or not services.history_url:
        # No data layer at all: without this, Chainlit would build one from a stray LITERAL_API_KEY (its hosted
        # service) or DATABASE_URL in the environment.
        cl.data_layer(_no_data_layer)  # type: ignore[arg-type]  # None = no data layer (Chainlit allows it)
        return False

    url = services.history_url

    @cl.data_layer
    def _layer() -> SQLAlchemyDataLayer:
        return history_data_layer(url)

    log.info("chat history on the app database (%s)", url.split("://", 1)[0])
    return True
