"""PostgreSQL: the built-ins first on the search path, for the rest of the transaction.

A login's or a database's ``search_path`` may list ``pg_catalog`` after schemas other roles write to; vozbd's own
SQL must resolve unqualified built-ins to the real ones. Every part of the statement is itself qualified.
"""

BUILTINS_FIRST_SQL = (
    "SELECT pg_catalog.set_config('search_path', 'pg_catalog, ' OPERATOR(pg_catalog.||) "
    "pg_catalog.current_setting('search_path'), true)"
)
