"""The error base every layer shares, so each surface renders tool, LLM and speech errors the same way."""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """An error with a stable machine ``code`` and a pt-BR ``message`` for the end user (and the LLM).

    The base of the tool errors (``tools.errors``) and of the agent's LLM and speech errors.
    """

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, detail: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail: dict[str, Any] = detail or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **({"detail": self.detail} if self.detail else {})}
