"""What the API routers receive: one ``ApiServices`` built by the composition root, and typed dependencies.

Routers never read settings: limits and services arrive in ``ApiServices`` (``request.app.state.api``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vozbd.api.errors import ApiError
from vozbd.api.metrics import ApiMetrics
from vozbd.api.ratelimit import RateLimiter, Verdict
from vozbd.auth import ApiKey

if TYPE_CHECKING:
    from agent.service import Agent
    from agent.speech.base import Synthesizer, Transcriber
    from tools.context import ToolContext


@dataclass(frozen=True)
class ApiLimits:
    max_rows: int = 200
    audio_max_bytes: int = 25 * 1024 * 1024
    audio_max_seconds: float = 300.0
    pdf_max_bytes: int = 50 * 1024 * 1024
    json_max_bytes: int = 256 * 1024
    speak_max_chars: int = 5000


@dataclass
class ApiServices:
    tool_ctx: ToolContext
    agent: Callable[[str | None], Agent]
    """The agent for a model spec (``None`` = the default model); raises ``LLMError`` for a bad spec."""
    transcriber: Callable[[], Transcriber]
    synthesizer: Callable[[str | None], Synthesizer]
    limits: ApiLimits
    metrics: ApiMetrics
    limiter: RateLimiter
    readiness: dict[str, Callable[[], Any]] = field(default_factory=dict)
    """Name → probe returning a dict with at least ``ok`` (bool); run in a thread by ``/ready``."""
    insecure: bool = False
    """Started with ``--insecure`` while a surface is open (reported by /health)."""
    admins: frozenset[str] = frozenset()
    """API key names allowed to add/delete connections (anyone when the API runs without keys)."""
    conversations: Any = None
    """The conversation store (``vozbd.api.conversations.ConversationStore``)."""
    voice_loop: Any = None
    """The hands-free voice loop's config (``agent.voice.loop.VoiceLoopConfig``; None = defaults)."""
    allowed_models: Callable[[str], bool] = lambda _spec: False
    """Whether a caller may pick this ``provider/model`` (never arbitrary files through ``scripted/``)."""


# The dependencies below are coroutines on purpose: FastAPI runs a plain ``def`` dependency in the thread pool,
# a thread hop per dependency per request for what is an attribute read.
def get_services_of(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.api
    return services


async def get_services(request: Request) -> ApiServices:
    return get_services_of(request)


Services = Annotated[ApiServices, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="API key: Authorization: Bearer <token> (VOZBD_API_KEYS).")


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""The guard already checked the key: this dependency only puts the bearer scheme in the OpenAPI document."""


def key_of(request: Request) -> ApiKey | None:
    return request.scope.get("state", {}).get("api_key")


async def current_key(request: Request, _: Bearer = None) -> ApiKey | None:
    """The API key the guard accepted for this request (``None`` when the API is open on loopback)."""
    return key_of(request)


CurrentKey = Annotated[ApiKey | None, Depends(current_key)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def rate_limited(request: Request, _: Bearer = None) -> None:
    """Count the request against the caller's key and IP; 429 + Retry-After when a limit is exhausted.

    Reads the services and the key straight from the request: as sub-dependencies they cost FastAPI a nested
    resolution on every request of every router (the endpoints' own ``Services``/``CurrentKey`` stay typed)."""
    key = key_of(request)
    verdict = await get_services_of(request).limiter.check(key=key.name if key else None, ip=client_ip(request))
    if not verdict.allowed:
        raise rate_limit_error(verdict)


def rate_limit_error(verdict: Verdict) -> ApiError:
    """The 429 (with ``Retry-After``) for a refused rate-limit check — the same on every HTTP surface."""
    who = "sua chave de API" if verdict.scope == "key" else "seu endereço IP"
    return ApiError(
        429,
        "rate_limited",
        f"Muitas requisições para {who} (limite {verdict.limit}). Tente de novo em {verdict.retry_after_s} s.",
        detail={"scope": verdict.scope, "limit": verdict.limit, "retry_after_s": verdict.retry_after_s},
        headers={"Retry-After": str(verdict.retry_after_s)},
    )
