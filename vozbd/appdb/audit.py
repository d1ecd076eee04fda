"""``QueryAuditStore``: the ``query_audit`` table behind ``tools.audit`` (writes) and ``vozbd audit`` (reads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from tools.audit import AuditEvent
from tools.db.urls import mask_secrets
from vozbd.appdb.errors import AppDatabaseError
from vozbd.appdb.models import query_audit
from vozbd.appdb.text import storable_row
from vozbd_core.autocommit import single_statement_engine

_INSERT = insert(query_audit)
"""Built once: parameters passed at execution reuse SQLAlchemy's compiled form (``.values(**row)`` per call
rebuilt and re-coerced the statement on every audited query)."""


class QueryAuditStore:
    """Writes one row per statement; reads them back newest first."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._one_statement = single_statement_engine(engine)

    def record(self, event: AuditEvent) -> None:
        row = storable_row(
            {
                "created_at": event.at,
                "surface": event.surface[:16],
                "user_id": event.user,
                "tool": event.tool,
                "connection": mask_secrets(event.connection),
                "sql": mask_secrets(event.sql),
                "outcome": event.outcome,
                "error_code": event.error_code,
                "row_count": event.rows,
                "elapsed_ms": event.elapsed_ms,
            }
        )
        try:
            with self._one_statement.begin() as db:
                db.execute(_INSERT, row)
        except SQLAlchemyError as error:
            raise AppDatabaseError("Não foi possível gravar o registro de auditoria.") from error

    def list(
        self,
        *,
        since: datetime | None = None,
        connection: str | None = None,
        surface: str | None = None,
        outcome: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        query = select(query_audit).order_by(query_audit.c.created_at.desc(), query_audit.c.id.desc()).limit(limit)
        for column, value in (("connection", connection), ("surface", surface), ("outcome", outcome)):
            if value:
                query = query.where(query_audit.c[column] == value)
        if since is not None:
            query = query.where(query_audit.c.created_at >= since)
        try:
            with self.engine.connect() as db:
                return [dict(row._mapping) for row in db.execute(query)]
        except SQLAlchemyError as error:
            raise AppDatabaseError("Não foi possível ler o registro de auditoria.") from error


class LazyAuditSink:
    """Opens (and migrates) the app database on the first statement, so tools start without touching it."""

    def __init__(self, open_store: Callable[[], QueryAuditStore]):
        self._open = open_store
        self._store: QueryAuditStore | None = None
        self._lock = threading.Lock()

    def record(self, event: AuditEvent) -> None:
        with self._lock:
            if self._store is None:
                self._store = self._open()
        self._store.record(event)
