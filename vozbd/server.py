"""FastAPI composition of ``vozbd serve``: API v1 and the tool endpoints under /api, /health /ready /metrics,
the MCP endpoint at /mcp and the Chainlit UI at /, behind one guard (Host, Origin, credentials, body limits).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match, Route

from tools.context import ToolContext
from tools.db.urls import mask_secrets
from vozbd.api import ask, connections, conversations, health, speech, voice_ws
from vozbd.api import tools as tool_routes
from vozbd.api.deps import ApiLimits, ApiServices
from vozbd.api.errors import ApiError, install_error_handlers
from vozbd.api.guard import SurfaceConfig, SurfaceGuard
from vozbd.api.metrics import ApiMetrics, MetricsMiddleware
from vozbd.api.ratelimit import RateLimiter
from vozbd.auth import AuthPolicy, Surface, check_exposure
from vozbd.gc_tuning import tuned_gc
from vozbd.metrics import StatementObservers
from vozbd.wiring import App, ServerConfig, api_limits, rate_limit_config, voice_loop_config
from vozbd_core.version import __version__

if TYPE_CHECKING:
    from agent.checkpoint import CheckpointStore
    from agent.factory import AgentFactory
    from agent.llm.config import LLMConfig
    from agent.service import Agent
    from vozbd.appdb.database import AppDatabase

log = logging.getLogger(__name__)

DESCRIPTION = """\
Talk to your database in Brazilian Portuguese. Authenticate with `Authorization: Bearer <API key>`
(`VOZBD_API_KEYS`). Every error has the same JSON shape: `{"code", "message" (pt-BR), "detail"}`.
"""


class _AsgiEndpoint:
    """Makes Starlette treat a plain ASGI callable (possibly a function) as an app, not a request handler."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def rest_tool_context(ctx: ToolContext) -> ToolContext:
    """REST callers name saved connections (or demo); database URLs in requests are refused."""
    if ctx.allowed_connections is not None:
        return ctx
    return dataclasses.replace(ctx, allowed_connections=("*",))


def body_limit_for(limits: ApiLimits) -> Callable[[str], int | None]:
    multipart_slack = 64 * 1024

    def limit(path: str) -> int | None:
        if path == "/api/v1/transcribe":
            return limits.audio_max_bytes + multipart_slack
        if path.startswith("/api/"):
            return limits.json_max_bytes
        if path.startswith("/mcp"):
            return max(limits.json_max_bytes, 1024 * 1024)
        return None

    return limit


def _allowed_model(llm: LLMConfig) -> Callable[[str], bool]:
    def allowed(spec: str) -> bool:
        from agent.llm.base import LLMError
        from agent.llm.registry import get_provider, split_spec

        if spec == llm.model:
            return True
        try:
            provider, _ = split_spec(spec)
            return provider != "scripted" and get_provider(provider).is_configured(llm)
        except LLMError:
            return False

    return allowed


def _agents(
    factory: AgentFactory, ctx: ToolContext, checkpoints: CheckpointStore | None = None
) -> Callable[[str | None], Agent]:
    """One agent per model spec, built on first use (thread-safe); all share one memory store."""
    cache: dict[str | None, Agent] = {}
    lock = threading.Lock()

    def get(spec: str | None) -> Agent:
        with lock:
            if spec not in cache:
                cache[spec] = factory.build(spec, tool_ctx=ctx, speech=False, checkpointer=checkpoints)
            return cache[spec]

    return get


def _readiness(vozbd_app: App, ctx: ToolContext, app_db: AppDatabase) -> dict[str, Callable[[], dict[str, Any]]]:
    import agent.llm.registry  # noqa: F401  (imported now, not inside the first probe's time budget)

    def registry() -> dict[str, Any]:
        return {"ok": True, "connections": len(ctx.registry.names())}

    def database() -> dict[str, Any]:
        from sqlalchemy import text

        with app_db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"ok": True, "dialect": app_db.dialect, "url": app_db.safe_url}

    def speech(part: str) -> dict[str, Any]:
        """STT or TTS: installed and loaded (in memory now), here or on the speech service."""
        from agent.speech.base import SpeechError
        from vozbd.speech_service import speech_status

        remote = vozbd_app.speech.remote
        if remote is not None:  # a speech service does STT/TTS: ask it
            try:
                status = remote.client.request("GET", "/status")[part]
            except (SpeechError, KeyError, TypeError) as error:
                message = error.message if isinstance(error, SpeechError) else "resposta inesperada"
                return {"ok": False, "required": False, "installed": None, "loaded": False, "error": message}
            status = {**status, "url": remote.client.url}
        else:
            status = speech_status(vozbd_app.speech)[part]
        return {"ok": bool(status.get("installed")), "required": False, **status}

    def llm() -> dict[str, Any]:
        from agent.llm.registry import get_provider, split_spec

        spec = vozbd_app.agents.default_model()
        if spec is None:
            return {"ok": False, "required": False, "error": "nenhum modelo configurado (VOZBD_MODEL)"}
        status = get_provider(split_spec(spec)[0]).status(vozbd_app.llm, check=True)
        ok = status.configured and status.reachable is not False
        return {
            "ok": ok,
            "required": bool(vozbd_app.llm.model),
            "model": spec,
            "configured": status.configured,
            "reachable": status.reachable,  # None: the provider has nothing to probe (e.g. the scripted model)
            "detail": status.detail,
        }

    return {
        "connection_registry": registry,
        "app_db": database,
        "stt": lambda: speech("stt"),
        "tts": lambda: speech("tts"),
        "llm": llm,
    }


def _forget(factory: AgentFactory, ctx: ToolContext, checkpoints: CheckpointStore | None) -> Callable[[str], Any]:
    """Delete a thread's memory with an agent without a language model, on the store every model shares: a broken
    or missing model must not stop anyone from deleting a conversation."""

    async def forget(thread: str) -> None:
        from agent.service import Agent

        await Agent(ctx, None, checkpointer=checkpoints or factory.checkpoints()).forget(thread)

    return forget


def build_api_services(
    vozbd_app: App,
    ctx: ToolContext,
    app_db: AppDatabase,
    metrics: ApiMetrics | None = None,
    checkpoints: CheckpointStore | None = None,
    metrics_dir: str | None = None,
) -> ApiServices:
    settings = vozbd_app.settings
    agents = _agents(vozbd_app.agents, ctx, checkpoints)
    metrics = metrics or ApiMetrics(multiprocess_dir=metrics_dir)
    limiter = RateLimiter(rate_limit_config(settings), on_degraded=metrics.rate_limit_degraded.inc)

    return ApiServices(
        tool_ctx=ctx,
        agent=agents,
        transcriber=vozbd_app.speech.transcriber,
        synthesizer=vozbd_app.speech.synthesizer,
        limits=api_limits(settings),
        metrics=metrics,
        limiter=limiter,
        readiness=_readiness(vozbd_app, ctx, app_db),
        admins=frozenset(settings.api_admins),
        conversations=conversations.LoggedConversations(
            app_db.logs, forget=_forget(vozbd_app.agents, ctx, checkpoints)
        ),
        allowed_models=_allowed_model(vozbd_app.llm),
        voice_loop=voice_loop_config(settings),
    )


@asynccontextmanager
async def _checkpoint_pool(store: CheckpointStore | None) -> AsyncIterator[None]:
    """Memory connections opened once on the server's loop for the server's lifetime (a PostgreSQL pool, or one
    SQLite connection), instead of per turn."""
    from agent.checkpoint import SharedCheckpointStore

    if not isinstance(store, SharedCheckpointStore):
        yield
        return
    await store.open()
    try:
        yield
    finally:
        await store.close()


@asynccontextmanager
async def _dictionary_loaded(ctx: ToolContext) -> AsyncIterator[None]:
    """Read the pt<->en dictionary before serving (~0.9 s for FreeDict's 25,000 headwords), in a thread: else the
    first question pays it, holding the GIL while every other request on the server waits."""
    import asyncio

    from tools.schema_inspect.bilingual import load_dictionary

    await asyncio.to_thread(load_dictionary, ctx.dictionary_dirs)
    yield


@asynccontextmanager
async def _default_agent_built(services: ApiServices) -> AsyncIterator[None]:
    """Build the configured model's agent before serving, in a thread: it imports LangGraph and LangChain and compiles
    the graph (~0.3 s of CPU), which the first question otherwise paid with the GIL held while every other request
    waited. A model spec that cannot be loaded does not stop the server: the first question reports it, as before."""
    import asyncio

    from agent.llm.base import LLMError

    try:
        await asyncio.to_thread(services.agent, None)
    except LLMError as error:
        log.warning("default model not loaded at start: %s", error.message)
    yield


DETACHED_TURNS_GRACE_S = 30.0


@asynccontextmanager
async def _detached_turns_finished() -> AsyncIterator[None]:
    """Entered after the databases, so left before they close: turns still running for an SSE client that left
    are given time to be logged (``vozbd.api.ask.finish_detached_turns``)."""
    from vozbd.api.ask import finish_detached_turns

    try:
        yield
    finally:
        await finish_detached_turns(DETACHED_TURNS_GRACE_S)


@asynccontextmanager
async def _disposing(app_db: AppDatabase) -> AsyncIterator[None]:
    try:
        yield
    finally:
        app_db.dispose()


def _observe_every_surface(vozbd_app: App, ctx: ToolContext, metrics: ApiMetrics) -> None:
    """/metrics hears every statement (REST, chat, MCP, voice: the shared tool context's audit) and every chat
    turn (the UI's turn recorder); the API and voice routes report their own turns."""
    if isinstance(ctx.audit, StatementObservers):
        ctx.audit.subscribe(metrics.observe_statement)
    vozbd_app.turn_observers.subscribe(lambda turn, surface: metrics.observe_turn(turn.timings, surface))


def create_app(
    vozbd_app: App,
    *,
    mount_mcp: bool = True,
    mount_ui: bool = True,
    insecure: bool = False,
    services: ApiServices | None = None,
    metrics_dir: str | None = None,
) -> FastAPI:
    """Build the web app from the composition root's ``App`` (``vozbd.wiring.build_app``). Raises
    ``vozbd.auth.InsecureExposureError`` when a mounted surface would be open off loopback (or next to a
    protected one) and ``insecure`` is False. ``metrics_dir``: prometheus-client's multiprocess folder (workers)."""
    settings = vozbd_app.settings
    policy = AuthPolicy.from_settings(settings, insecure=insecure)
    surfaces: tuple[Surface, ...] = ("rest", *(("mcp",) if mount_mcp else ()), *(("ui",) if mount_ui else ()))
    check_exposure(policy, settings.host, surfaces)
    exposed = insecure and bool(dataclasses.replace(policy, insecure=False).exposure_problems(settings.host, surfaces))
    if exposed:
        log.warning("--insecure: serving on %s with surfaces open without credentials", settings.host)

    ctx = vozbd_app.tool_ctx
    if not isinstance(ctx.audit, StatementObservers):  # a context built by hand (tests): observe it all the same
        ctx = dataclasses.replace(ctx, audit=StatementObservers(ctx.audit))
    lifespans: list[Callable[[], Any]] = []
    if services is None:
        app_db = vozbd_app.open_database()  # migrations run here, before serving
        checkpoints = vozbd_app.agents.checkpoints()
        services = build_api_services(
            vozbd_app, rest_tool_context(ctx), app_db, checkpoints=checkpoints, metrics_dir=metrics_dir
        )
        lifespans.append(lambda: _disposing(app_db))
        lifespans.append(lambda: _checkpoint_pool(checkpoints))
        lifespans.append(_detached_turns_finished)
        if vozbd_app.llm.model:  # named in the settings: no detection probe (Ollama...) holds the start up
            built = services
            lifespans.append(lambda: _default_agent_built(built))
    lifespans.append(lambda: _dictionary_loaded(ctx))
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
            stack.enter_context(tuned_gc(settings.gc_thresholds))  # startup done: what is alive now lives long
            yield

    # /docs and /redoc with their JS/CSS served from the package: no CDN (self-hosted, possibly offline).
    app = FastAPIOffline(title="vozbd", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    services.insecure = exposed
    app.state.api = services
    _observe_every_surface(vozbd_app, ctx, services.metrics)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(ask.router)
    app.include_router(speech.router)
    app.include_router(connections.router)
    app.include_router(conversations.router)
    app.include_router(voice_ws.router)
    app.include_router(tool_routes.build_router(services.tool_ctx))

    @app.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def _unknown_api(path: str, request: Request) -> None:
        # Reached when no route fully matched: a route with this path but another method means 405.
        for route in request.app.router.routes:
            if getattr(route, "name", None) != "_unknown_api" and route.matches(request.scope)[0] == Match.PARTIAL:
                raise ApiError(405, "method_not_allowed", "Método HTTP não permitido neste endereço.")
        shown = mask_secrets(f"/api/{path}")[:104]  # a URL given as a connection name keeps no password here
        raise ApiError(404, "not_found", f"Endereço da API inexistente: {shown}. Veja /docs.")

    if mcp_app is not None:
        # Exact "/mcp" too: clients that don't follow the 307 to "/mcp/" still reach the endpoint.
        app.router.routes.append(Route("/mcp", _AsgiEndpoint(mcp_app)))
        app.mount("/mcp", mcp_app)
    if mount_ui:
        from ui.mount import mount_ui as _mount_ui

        _mount_ui(app, vozbd_app.ui)

    # Middlewares: the last added runs first. Guard → metrics → CORS → app.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Retry-After", "X-Voice-Engine"],
        )
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    app.add_middleware(
        SurfaceGuard,
        config=SurfaceConfig(
            policy=policy,
            bind_host=settings.host,
            allowed_hosts=tuple(settings.allowed_hosts),
            cors_origins=tuple(settings.cors_origins),
            body_limit=body_limit_for(services.limits),
        ),
    )
    return app


WORKER_OPTIONS_ENV = "VOZBD_SERVE_WORKER_OPTIONS"
"""Set by ``vozbd serve --workers N`` for its worker processes: the command line's choices, as JSON."""
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's multiprocess mode: each worker writes its values under this folder (read at import)."""


@dataclass(frozen=True)
class WorkerOptions:
    """What ``vozbd serve`` passes to each worker process (flags that are not settings, and setting overrides)."""

    mount_ui: bool = False
    mount_mcp: bool = False
    insecure: bool = False
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics_dir: str | None = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerOptions:
        return cls(**json.loads(text))


class ServerOptionError(ValueError):
    """An explicit event loop or HTTP parser that is not installed here (``VOZBD_SERVER_LOOP``/``_HTTP``)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def uvicorn_options(server: ServerConfig) -> tuple[str, str]:
    """uvicorn's ``(loop, http)`` for ``server``. ``auto`` takes uvloop and httptools when installed (they
    are dependencies of the server extra, except uvloop on Windows) and asyncio/h11 otherwise; naming one that is
    not installed raises ``ServerOptionError`` (pt-BR) instead of an ImportError deep inside uvicorn."""
    import importlib.util

    for setting, value in (("VOZBD_SERVER_LOOP", server.loop), ("VOZBD_SERVER_HTTP", server.http)):
        if value in ("uvloop", "httptools") and importlib.util.find_spec(value) is None:
            raise ServerOptionError(
                f"{setting}={value}, mas o pacote {value} não está instalado aqui: instale-o "
                f"(pip install {value}) ou use 'auto'."
            )
    return server.loop, server.http


def run_workers(server: ServerConfig, options: WorkerOptions, *, tls: tuple[str | None, str | None]) -> None:
    """``vozbd serve --workers N``: N uvicorn processes sharing the port, each building the app from the same
    settings (``worker_app``). The options travel to the spawned workers in the environment."""
    import shutil
    import tempfile

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    loop, http = uvicorn_options(server)
    metrics_dir = tempfile.mkdtemp(prefix="vozbd-metrics-")
    os.environ[METRICS_DIR_ENV] = metrics_dir  # before the workers import prometheus-client
    os.environ[WORKER_OPTIONS_ENV] = dataclasses.replace(options, metrics_dir=metrics_dir).to_json()
    config = uvicorn.Config(
        "vozbd.server:worker_app",
        factory=True,
        workers=server.workers,
        host=server.host,
        port=server.port,
        log_level=server.log_level.lower(),
        ssl_certfile=tls[0],
        ssl_keyfile=tls[1],
        loop=loop,
        http=http,
    )
    try:
        # What uvicorn.run does for workers > 1, plus TCP_NODELAY on the shared socket (below).
        Multiprocess(config, sockets=[no_delay(config.bind_socket())]).run()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def no_delay(sock: socket.socket) -> socket.socket:
    """Turn Nagle's algorithm off on a listening TCP socket; Linux copies it to every accepted connection.

    asyncio does this for the sockets it creates, but not for one bound beforehand by uvicorn for its workers
    (created without IPPROTO_TCP, so asyncio skips it): each response's last segment then waited for the client's
    delayed ACK — about 50 ms added to every request of ``--workers N``."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def worker_app() -> FastAPI:
    """uvicorn's app factory in each process of ``vozbd serve --workers N``: the same settings (environment and
    ``.env``, plus the command line's overrides) build the same app; migrations already ran in the parent."""
    from vozbd.wiring import build_app, load_settings

    options = WorkerOptions.from_json(os.environ.get(WORKER_OPTIONS_ENV, "{}"))
    vozbd_app = build_app(load_settings(**options.overrides))
    return create_app(
        vozbd_app,
        mount_ui=options.mount_ui,
        mount_mcp=options.mount_mcp,
        insecure=options.insecure,
        metrics_dir=options.metrics_dir,
    )
