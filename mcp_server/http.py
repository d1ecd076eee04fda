"""Streamable HTTP transport: a standalone ASGI app (``/mcp``) or one to mount inside the FastAPI server.

Optional bearer token (``VOZBD_MCP_TOKEN``): requests without ``Authorization: Bearer <token>`` get 401 JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.config import MCPConfig
from mcp_server.server import build_server
from tools.context import ToolContext
from vozbd_core.auth import bearer_matches

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
Lifespan = Callable[[], AbstractAsyncContextManager[None]]


class BearerTokenMiddleware:
    """Pure ASGI middleware: HTTP requests must carry ``Authorization: Bearer <token>`` (one of ``tokens``)."""

    def __init__(self, app: ASGIApp, *tokens: str):
        self.app = app
        self._tokens = tuple(token.encode() for token in tokens)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            await _unauthorized(send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                matches = [bearer_matches(value, token) for token in self._tokens]  # all compared: constant time
                return any(matches)
        return False


async def _unauthorized(send: Send) -> None:
    body = json.dumps(
        {
            "code": "unauthorized",
            "message": "Token ausente ou inválido. Envie o cabeçalho Authorization: Bearer <token>.",
            "detail": None,
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="vozbd-mcp"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def build_http_app(config: MCPConfig, tool_ctx: ToolContext, *, mounted: bool = False) -> tuple[ASGIApp, Lifespan]:
    """The MCP streamable-HTTP app and the lifespan that runs its session manager.

    - ``mounted=False``: a Starlette app serving ``/mcp`` whose own lifespan runs the session manager
      (serve it alone with uvicorn; the returned lifespan is then not needed).
    - ``mounted=True``: a bare ASGI app answering on any path, to mount at ``/mcp`` in a parent app.
      A mounted app's lifespan never runs by itself: the parent must enter the returned lifespan
      (``async with lifespan(): ...``) in its own lifespan.

    ``config.host`` decides DNS-rebinding protection: on a loopback host only ``localhost``/``127.0.0.1``
    Host headers are accepted, as FastMCP does by default; on any other host every Host is accepted.
    """
    server = build_server(config, tool_ctx, host=config.host, streamable_http_path=MCP_PATH)
    standalone = server.streamable_http_app()  # creates the session manager
    manager = server.session_manager

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        await manager.handle_request(scope, receive, send)

    app: ASGIApp = handle if mounted else standalone
    # One auth model (vozbd.auth, resolved by the composition root): MCP's own token, else the REST API keys.
    if config.tokens:
        app = BearerTokenMiddleware(app, *config.tokens)
    else:
        log.warning("MCP over HTTP without a token (set VOZBD_MCP_TOKEN to require one)")

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        async with manager.run():
            yield

    return app, lifespan


def run_http(
    config: MCPConfig, tool_ctx: ToolContext, port: int, *, wrap: Callable[[ASGIApp], ASGIApp] | None = None
) -> None:
    """Serve the MCP endpoint alone at ``http://<config.host>:port/mcp``; ``wrap`` adds the server's outer guard."""
    import uvicorn

    app, _ = build_http_app(config, tool_ctx)
    uvicorn.run(wrap(app) if wrap else app, host=config.host, port=port, log_level=config.log_level.lower())
