"""Alembic environment: migrations run on the connection handed over by ``vozbd.appdb.migrate``.

Also usable from the ``alembic`` command line with ``-x url=...`` (developers: ``alembic revision --autogenerate``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from vozbd.appdb.models import all_metadata, include_name
from vozbd.appdb.urls import normalize_app_db_url

config = context.config
target_metadata = all_metadata()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]  # a SQLAlchemy Connection, typed as object by Alembic's run_sync callback
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode rebuilds the table
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: pass -x url=<app database URL>")
    engine = create_engine(normalize_app_db_url(url))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()
