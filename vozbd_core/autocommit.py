"""An engine view for units of work of one statement, without the transaction around them on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine


def single_statement_engine(engine: Engine) -> Engine:
    """``engine`` for units of work of one statement (a log row, an audit row, the prompt's memory read): on
    PostgreSQL each statement commits by itself, so ``with ….begin()`` / ``.connect()`` sends the statement alone
    instead of BEGIN + statement + COMMIT/ROLLBACK (three round trips). Same pool. Other dialects: ``engine``
    unchanged."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")
