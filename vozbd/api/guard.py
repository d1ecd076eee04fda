"""The outermost ASGI layer of ``vozbd serve``: Host and Origin checks for every surface, bearer auth for REST and
MCP, and early 413s from ``Content-Length``/streamed bodies — before any app code reads the request.

- Host (DNS rebinding): on a loopback bind only loopback names are accepted, plus ``VOZBD_ALLOWED_HOSTS``;
  a wildcard bind (``0.0.0.0``) accepts any Host unless ``VOZBD_ALLOWED_HOSTS`` pins it (credentials are then
  required by ``vozbd.auth``).
- Origin: a browser request whose ``Origin`` is neither the served origin nor in ``VOZBD_CORS_ORIGINS`` is
  refused (403), WebSockets included — this is what stops a foreign page from driving the chat or the API.
- Auth: ``/api/*`` (except ``/api/health``), ``/metrics`` and ``/mcp`` need a bearer key whenever
  ``AuthPolicy.requires_token`` says so; the accepted key is put in ``scope["state"]["api_key"]``. The API's
  description (``/docs``, ``/redoc``, ``/openapi.json``) stays readable, like ``/health`` and ``/ready``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vozbd.api.errors import ApiError, default_error, error_body
from vozbd.auth import AuthPolicy, Surface, is_loopback

if TYPE_CHECKING:
    from vozbd.settings import Settings

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/api/health", "/health", "/ready"})
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


@dataclass(frozen=True)
class SurfaceConfig:
    """What the guard needs, derived once from settings by the composition root."""

    policy: AuthPolicy
    bind_host: str
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    body_limit: Callable[[str], int | None] = field(default=lambda _path: None)
    """Largest body (bytes) accepted on a path, or ``None`` for no limit."""
    surface_of: Callable[[str], Surface | None] = field(default=lambda path: surface_of(path))
    """Which bearer surface a path belongs to (``None``: no token needed)."""
    token_hint: str | None = None
    """The setting to name in a 401 (default: the REST/MCP ones)."""

    def host_allowed(self, host_header: str) -> bool:
        name = _host_name(host_header)
        if not name:
            return False
        pinned = {h.lower() for h in self.allowed_hosts}
        if "*" in pinned or name in pinned:
            return True
        if name in LOOPBACK_HOSTS or is_loopback(name):
            return True  # a loopback name always reaches a loopback interface
        if pinned:
            return False
        if is_loopback(self.bind_host):
            return False  # DNS rebinding: a foreign name resolving to 127.0.0.1
        if self.bind_host in ("0.0.0.0", "::", ""):
            return True
        return name == self.bind_host.lower().strip("[]")

    def origin_allowed(self, origin: str, host_header: str) -> bool:
        if origin in self.cors_origins or "*" in self.cors_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null", file://, chrome-extension://...
        # Same host and port as the request's Host. The scheme is not compared: behind a TLS proxy the page is
        # https while this hop is plain http, and a foreign page cannot share our host:port anyway.
        return parts.netloc.lower() == host_header.lower()


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def surface_of(path: str) -> Surface | None:
    """Which bearer surface a path belongs to (``None``: the chat UI or an open path)."""
    if path in OPEN_PATHS:
        return None
    if path == "/api" or path.startswith("/api/") or path == "/metrics":
        return "rest"
    if path == "/mcp" or path.startswith("/mcp/"):
        return "mcp"
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


class SurfaceGuard:
    def __init__(self, app: ASGIApp, config: SurfaceConfig):
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await _refuse(scope, receive, send, refusal)
            return
        if scope["type"] == "http":
            limit = self.config.body_limit(scope["path"])
            if limit is not None:
                length = _header(scope, b"content-length")
                if length is not None and (not length.isdigit() or int(length) > limit):
                    await _refuse(scope, receive, send, _too_large(limit))
                    return
                receive = _capped(receive, limit)
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> ApiError | None:
        host = (_header(scope, b"host") or b"").decode("latin-1")
        if not self.config.host_allowed(host):
            log.warning("refused Host %r on %s", host, scope["path"])
            return ApiError(421 if host else 400, "host_not_allowed", "Endereço (Host) não permitido neste servidor.")
        origin = _header(scope, b"origin")
        if origin is not None and not self.config.origin_allowed(origin.decode("latin-1"), host):
            log.warning("refused Origin %r on %s", origin, scope["path"])
            return ApiError(403, "origin_not_allowed", "Origem (Origin) não permitida: acesse pelo próprio site.")
        surface = self.config.surface_of(scope["path"])
        if surface is None or scope.get("method") == "OPTIONS":
            return None
        policy = self.config.policy
        if not policy.requires_token(surface):
            return None
        key = policy.authenticate(surface, _header(scope, b"authorization"))
        if key is None:
            hint = self.config.token_hint or (
                "VOZBD_MCP_TOKEN" if surface == "mcp" else "VOZBD_API_KEYS/VOZBD_API_TOKEN"
            )
            message = (
                f"Credenciais ausentes ou inválidas: envie Authorization: Bearer <token> ({hint})."
                if policy.keys_for(surface)
                else f"Esta superfície está bloqueada: há credenciais em outra, mas nenhum token aqui. Defina {hint}."
            )
            return ApiError(
                401, "unauthorized", message, headers={"WWW-Authenticate": f'Bearer realm="vozbd-{surface}"'}
            )
        scope.setdefault("state", {})["api_key"] = key
        return None


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"Corpo da requisição grande demais: o limite é {limit / 1024 / 1024:.1f} MB.",
        detail={"limit_bytes": limit},
    )


def _capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises a 413 ``ApiError`` as soon as more than ``limit`` body bytes arrived."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return wrapped


async def _refuse(scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        code = 1008 if error.status in (401, 403, 421, 400) else 1009
        await send({"type": "websocket.close", "code": code, "reason": error.code})
        return
    default_code, _ = default_error(error.status)
    body = json.dumps(
        error_body(error.code or default_code, error.message, error.detail or None),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body.encode())).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    if error.status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


def scope_api_key(scope: dict[str, Any]) -> Any:
    return scope.get("state", {}).get("api_key")


def standalone_guard(settings: Settings, host: str, *, insecure: bool = False) -> Callable[[ASGIApp], ASGIApp]:
    """The same guard for a surface served alone (``vozbd mcp --http``, ``vozbd ui``): Host/Origin/bearer checks."""
    config = SurfaceConfig(
        policy=AuthPolicy.from_settings(settings, insecure=insecure),
        bind_host=host,
        allowed_hosts=tuple(settings.allowed_hosts),
        cors_origins=tuple(settings.cors_origins),
        body_limit=lambda path: 1024 * 1024 if path.startswith("/mcp") else None,
    )
    return lambda app: SurfaceGuard(app, config)
