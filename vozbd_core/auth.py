"""Bearer-token checks shared by the HTTP surfaces (REST API, MCP over HTTP)."""

from __future__ import annotations

import hmac


def bearer_matches(authorization: bytes, expected: bytes) -> bool:
    """True when an ``Authorization`` header value is ``Bearer <expected>`` (scheme case-insensitive, constant time)."""
    scheme, _, token = authorization.strip().partition(b" ")
    return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), expected)
