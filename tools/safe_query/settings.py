"""PostgreSQL settings a query may read (``SHOW name`` and ``current_setting('name')``): public, harmless ones.

Settings such as ``data_directory``, ``config_file`` or ``hba_file`` describe the server's files and stay hidden.
"""

from __future__ import annotations

PG_READABLE_SETTINGS = frozenset(
    {
        "server_version", "server_version_num", "server_encoding", "client_encoding", "timezone", "datestyle",
        "intervalstyle", "search_path", "lc_collate", "lc_ctype", "lc_messages", "lc_monetary", "lc_numeric",
        "lc_time", "standard_conforming_strings", "transaction_isolation", "default_transaction_read_only",
        "transaction_read_only", "statement_timeout", "max_connections", "extra_float_digits", "integer_datetimes",
        "default_text_search_config", "application_name", "is_superuser", "session_authorization",
    }
)  # fmt: skip
