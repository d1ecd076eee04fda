"""FastAPI composition: REST adapters of the tools, the MCP endpoint at /mcp and the Chainlit UI at /.

Each tool in ``tools.registry.all_tools()`` becomes ``POST /api/tools/<name>`` with the tool's own
pydantic input/output models (so the OpenAPI document is typed); typed tool errors are mapped to HTTP
statuses once, here.
"""

# No ``from __future__ import annotations``: FastAPI must see the real model classes in the
# signatures built per tool below.
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.routing import Route

from tools.context import ToolContext
from tools.errors import (
    ConnectionFailedError,
    DatabaseError,
    DriverMissingError,
    InvalidInputError,
    PdfReadError,
    QueryTimeoutError,
    ToolError,
    UnknownConnectionError,
    UnsafeQueryError,
)
from tools.registry import ToolSpec, all_tools
from vozbd.wiring import App, ServerConfig
from vozbd_core.auth import bearer_matches
from vozbd_core.version import __version__

log = logging.getLogger(__name__)

# Most specific first.
_HTTP_STATUS: tuple[tuple[type[ToolError], int], ...] = (
    (UnsafeQueryError, 403),
    (QueryTimeoutError, 504),
    (ConnectionFailedError, 503),
    (DatabaseError, 422),  # the database refused the SQL: the caller should fix it
    (DriverMissingError, 501),
    (UnknownConnectionError, 404),
    (InvalidInputError, 422),
    (PdfReadError, 422),
)
_PDF_STATUS_BY_CODE = {"pdf_not_found": 404, "pdf_forbidden": 403, "pdf_too_large": 413}


def http_status_for(error: ToolError) -> int:
    if isinstance(error, PdfReadError) and error.code in _PDF_STATUS_BY_CODE:
        return _PDF_STATUS_BY_CODE[error.code]
    for error_type, status in _HTTP_STATUS:
        if isinstance(error, error_type):
            return status
    return 400


class _AsgiEndpoint:
    """Makes Starlette treat a plain ASGI callable (possibly a function) as an app, not a request handler."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _tool_endpoint(spec: ToolSpec, ctx: ToolContext) -> Callable[..., Any]:
    input_model = spec.input_model

    async def endpoint(params: input_model) -> BaseModel:  # type: ignore[valid-type]
        return await run_in_threadpool(spec.function, params, ctx)

    endpoint.__name__ = f"tool_{spec.name}"
    endpoint.__doc__ = spec.description
    return endpoint


def _token_guard(config: ServerConfig) -> Callable[[Request], None]:
    """A dependency refusing requests without ``Authorization: Bearer <VOZBD_API_TOKEN>`` when a token is set."""
    expected = config.api_token.encode() if config.api_token else b""

    def guard(request: Request) -> None:
        if not expected:
            return
        if not bearer_matches(request.headers.get("authorization", "").encode(), expected):
            raise HTTPException(
                status_code=401,
                detail="Token ausente ou inválido: envie Authorization: Bearer <VOZBD_API_TOKEN>.",
                headers={"WWW-Authenticate": 'Bearer realm="vozbd-api"'},
            )

    return guard


def create_app(vozbd_app: App, *, mount_mcp: bool = True, mount_ui: bool = True) -> FastAPI:
    """Build the web app from the composition root's ``App``. ``mount_mcp``/``mount_ui`` add the MCP endpoint
    and the Chainlit UI. Listening address and tokens come from ``vozbd_app.server`` / ``vozbd_app.mcp``."""
    ctx = vozbd_app.tool_ctx
    server = vozbd_app.server
    lifespans: list[Callable[[], Any]] = []
    mcp_app = None
    if mount_mcp:
        from mcp_server.http import build_http_app

        mcp_app, mcp_lifespan = build_http_app(vozbd_app.mcp, ctx, mounted=True)
        lifespans.append(mcp_lifespan)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Mounted sub-apps' lifespans don't run on their own: enter them here.
        async with AsyncExitStack() as stack:
            for enter in lifespans:
                await stack.enter_async_context(enter())
            yield

    app = FastAPI(title="vozbd", version=__version__, lifespan=lifespan)

    @app.exception_handler(ToolError)
    async def _tool_error(_: Request, error: ToolError) -> JSONResponse:
        log.info("tool error %s: %s", error.code, error.message)
        return JSONResponse(status_code=http_status_for(error), content=error.to_dict())

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    if not server.api_token and not server.is_loopback:
        log.warning("REST API on %s without a token (set VOZBD_API_TOKEN to require one)", server.host)
    protected = [Depends(_token_guard(server))]

    @app.get("/api/tools", dependencies=protected)
    async def list_tools() -> list[dict[str, Any]]:
        return [
            {
                "name": spec.name,
                "description": spec.description,
                "read_only": spec.read_only,
                "input_schema": spec.input_model.model_json_schema(),
                "output_schema": spec.output_model.model_json_schema(),
            }
            for spec in all_tools()
        ]

    for spec in all_tools():
        app.post(
            f"/api/tools/{spec.name}",
            response_model=spec.output_model,
            summary=spec.description.splitlines()[0] if spec.description else spec.name,
            tags=["tools"],
            dependencies=protected,
        )(_tool_endpoint(spec, ctx))

    if mcp_app is not None:
        # Exact "/mcp" too: clients that don't follow the 307 to "/mcp/" still reach the endpoint.
        app.router.routes.append(Route("/mcp", _AsgiEndpoint(mcp_app)))
        app.mount("/mcp", mcp_app)
    if mount_ui:
        from ui.mount import mount_ui as _mount_ui

        _mount_ui(app, vozbd_app.ui)
    return app
