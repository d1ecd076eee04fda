"""Why a chat-model call failed, classified by exception type (never by class-name substrings).

LangChain integrations raise ``langchain_core.exceptions.ModelError`` subclasses that also inherit from the
provider SDK's own error (``OpenAIRateLimitError(openai.RateLimitError, ModelRateLimitError)``), so one set of
types covers OpenAI, OpenRouter, Gemini and every OpenAI-compatible server. What is left (a plain HTTP client
error from a local server, an SDK error carrying only an HTTP status) is classified by the transport's own
types and by the status code; the cause chain is followed, so a wrapped error is still recognised.
"""

from __future__ import annotations

from enum import StrEnum

import httpx
from langchain_core import exceptions as lc


class LLMFailure(StrEnum):
    AUTHENTICATION = "authentication"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    CONTEXT_OVERFLOW = "context_overflow"
    INVALID_REQUEST = "invalid_request"
    SERVER_ERROR = "server_error"
    UNKNOWN = "unknown"


# Most specific first: a timeout is also a connection error in several SDKs (openai.APITimeoutError).
_BY_TYPE: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], LLMFailure], ...] = (
    (lc.ContextOverflowError, LLMFailure.CONTEXT_OVERFLOW),
    (lc.ModelAuthenticationError, LLMFailure.AUTHENTICATION),
    (lc.ModelPermissionDeniedError, LLMFailure.PERMISSION_DENIED),
    (lc.ModelNotFoundError, LLMFailure.NOT_FOUND),
    (lc.ModelRateLimitError, LLMFailure.RATE_LIMIT),
    ((lc.ModelTimeoutError, httpx.TimeoutException, TimeoutError), LLMFailure.TIMEOUT),
    ((lc.ModelConnectionError, httpx.TransportError, ConnectionError), LLMFailure.CONNECTION),
    (lc.ModelInvalidRequestError, LLMFailure.INVALID_REQUEST),
    (lc.ModelAPIError, LLMFailure.SERVER_ERROR),
)

_BY_STATUS: dict[int, LLMFailure] = {
    400: LLMFailure.INVALID_REQUEST,
    401: LLMFailure.AUTHENTICATION,
    403: LLMFailure.PERMISSION_DENIED,
    404: LLMFailure.NOT_FOUND,
    408: LLMFailure.TIMEOUT,
    413: LLMFailure.CONTEXT_OVERFLOW,
    429: LLMFailure.RATE_LIMIT,
}


def _status_code(error: BaseException) -> int | None:
    """The HTTP status an SDK error carries (``status_code`` in openai/ollama, ``code`` in google-genai)."""
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    for attribute in ("status_code", "code"):
        value = getattr(error, attribute, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


def _classify_one(error: BaseException) -> LLMFailure:
    for types, failure in _BY_TYPE:
        if isinstance(error, types):
            return failure
    status = _status_code(error)
    if status is None:
        return LLMFailure.UNKNOWN
    return _BY_STATUS.get(status, LLMFailure.SERVER_ERROR if status >= 500 else LLMFailure.UNKNOWN)


def classify_llm_failure(error: BaseException) -> LLMFailure:
    """The kind of failure, from the error or the first error in its cause/context chain that says."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        failure = _classify_one(current)
        if failure is not LLMFailure.UNKNOWN:
            return failure
        current = current.__cause__ or current.__context__
    return LLMFailure.UNKNOWN


__all__ = ["LLMFailure", "classify_llm_failure"]
