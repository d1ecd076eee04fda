"""The app database: conversation logs (and, through their own MetaData, memory tables and chat history).

SQLite by default, PostgreSQL when ``VOZBD_DATABASE_URL`` says so. The schema is owned by Alembic migrations
(``vozbd/appdb/migrations``) that run at every start (``migrate.upgrade``) and with ``vozbd db-upgrade``.
"""

from vozbd.appdb.database import AppDatabase, open_app_database
from vozbd.appdb.engine import create_app_engine
from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError
from vozbd.appdb.logs import ConversationLogStore, ConversationSummary, TurnLog
from vozbd.appdb.migrate import upgrade

__all__ = [
    "AppDatabase",
    "AppDatabaseConfigError",
    "AppDatabaseError",
    "ConversationLogStore",
    "ConversationSummary",
    "TurnLog",
    "create_app_engine",
    "open_app_database",
    "upgrade",
]
