"""safe-query: run one read-only SQL statement, checked by a validator and enforced by the database.

Layers: ``validator`` (sqlglot + token checks, fails closed) -> ``rowcap`` (LIMIT/TOP/FETCH FIRST) ->
``execute`` (read-only transaction, timeout, ROLLBACK) -> ``result`` (JSON-safe rows, compact text).
The function deny-list is the data table in ``denylist``.
"""

from tools.safe_query.execute import RawResult, execute_readonly
from tools.safe_query.result import ColumnStats, QueryResult, json_safe
from tools.safe_query.rowcap import apply_row_cap
from tools.safe_query.tool import RunQueryInput, run_query
from tools.safe_query.validator import ValidatedStatement, validate

__all__ = [
    "ColumnStats",
    "QueryResult",
    "RawResult",
    "RunQueryInput",
    "ValidatedStatement",
    "apply_row_cap",
    "execute_readonly",
    "json_safe",
    "run_query",
    "validate",
]
