"""Per-connection policy (tables/columns allowed, denied, masked; row caps; timeout; samples), enforced in tools/.

- ``model``: ``ConnectionPolicy`` and its glob matching.
- ``schema``: what schema-inspect / search_schema may show (denied objects hidden, masked samples removed).
- ``query``: the check run on every validated statement (sqlglot's qualified AST) and the masking of results.
"""

from tools.policy.model import MASK, OPEN, ConnectionPolicy, model_rows_cap, policy_for

__all__ = ["MASK", "OPEN", "ConnectionPolicy", "model_rows_cap", "policy_for"]
