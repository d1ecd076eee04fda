"""Prometheus metrics of ``vozbd serve`` (``GET /metrics``), on a registry owned by the app (not the global one).

- ``vozbd_http_requests_total{method,route,status}`` and ``vozbd_http_request_duration_seconds{method,route}``:
  ``route`` is the route template (``/api/v1/connections/{name}/schema``), ``/mcp`` or ``ui`` — never a raw path;
  ``method`` is one of ``METHODS`` or ``other`` (the client chooses the method: ``FOO123`` must not add a series).
- ``vozbd_turn_stage_seconds{stage,surface}``: per-stage turn latency (stt, llm_first_token, tts_first_audio,
  total per turn; sql per statement) from every surface of the process: api, voice, ui, mcp.
- ``vozbd_safe_query_refusals_total{reason,surface}``: statements refused by safe-query (reason: the rejection
  code, e.g. ``not_read_only``), whichever surface sent them.
- ``vozbd_active{kind}``: in-flight HTTP requests (``http``), open SSE streams (``sse``), every open WebSocket
  (``websocket``: chat and voice) and voice sessions (``voice``).
- ``vozbd_rate_limit_degraded_total``: rate-limit checks answered in-process because Redis failed.

Under ``vozbd serve --workers N`` prometheus-client's multiprocess mode is on (``PROMETHEUS_MULTIPROC_DIR``, set
by the parent before the workers start, see ``vozbd.server.run_workers``): whichever worker answers ``/metrics``
reports the sum of all of them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from tools.audit import AuditEvent

STAGES = {
    "stt_ms": "stt",
    "llm_first_token_ms": "llm_first_token",
    "tts_first_audio_ms": "tts_first_audio",
    "total_ms": "total",
}
"""Turn timings observed per turn. The ``sql`` stage is observed per statement (``observe_statement``), so
statements from MCP and the REST query endpoint count too, and no turn counts twice."""
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
"""HTTP methods labelled as themselves; any other is labelled ``other``."""


class ApiMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        """Several workers (prometheus-client's multiprocess mode): render the values of all of them."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "vozbd_http_requests", "HTTP requests by route and status.", ["method", "route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "vozbd_http_request_duration_seconds", "HTTP request latency by route.", ["method", "route"],
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.turn_stage = Histogram(
            "vozbd_turn_stage_seconds", "Turn latency per stage and surface (sql: per statement).",
            ["stage", "surface"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.refusals = Counter(
            "vozbd_safe_query_refusals", "Statements refused by safe-query, by reason and surface.",
            ["reason", "surface"], registry=self.registry,
        )  # fmt: skip
        self.active = Gauge(
            "vozbd_active", "Open requests, SSE streams, WebSockets.", ["kind"],
            registry=self.registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.rate_limit_degraded = Counter(
            "vozbd_rate_limit_degraded", "Rate-limit checks answered in-process because Redis failed.",
            registry=self.registry,
        )  # fmt: skip
        self._active = {kind: self.active.labels(kind) for kind in ("http", "sse", "websocket", "voice")}
        self._requests: dict[tuple[str, str, int], Counter] = {}
        self._latency: dict[tuple[str, str], Histogram] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One HTTP request. The labelled children are kept here: ``labels()`` costs a lock and a key check each
        time, several times per request (the label sets are bounded: ``METHODS``, route templates, statuses)."""
        counter = self._requests.get((method, route, status))
        if counter is None:
            counter = self._requests.setdefault(
                (method, route, status), self.requests.labels(method, route, str(status))
            )
        histogram = self._latency.get((method, route))
        if histogram is None:
            histogram = self._latency.setdefault((method, route), self.latency.labels(method, route))
        counter.inc()
        histogram.observe(seconds)

    def active_of(self, kind: str) -> Gauge:
        return self._active.get(kind) or self.active.labels(kind)

    def observe_turn(self, timings: Mapping[str, float], surface: str = "api") -> None:
        for key, stage in STAGES.items():
            value = timings.get(key)
            if value is not None:
                self.turn_stage.labels(stage, surface).observe(value / 1000)

    def observe_statement(self, event: AuditEvent) -> None:
        """One SQL statement from any surface (``vozbd.metrics.StatementObservers``): its time, and refusals."""
        surface = event.surface[:16]
        if event.outcome == "refused":
            self.refusals.labels(event.reason or event.error_code or "unsafe_query", surface).inc()
        elif event.elapsed_ms is not None:
            self.turn_stage.labels("sql", surface).observe(event.elapsed_ms / 1000)

    def render(self) -> bytes:
        if self.multiprocess_dir:
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged, path=self.multiprocess_dir)
            return generate_latest(merged)
        return generate_latest(self.registry)


def method_label(scope: Scope) -> str:
    method = scope.get("method", "GET")
    return method if method in METHODS else "other"


def route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if scope["path"].startswith("/mcp"):
        return "/mcp"
    if scope["path"].startswith("/api"):
        return "unmatched"
    return "ui"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        kind = "http" if scope["type"] == "http" else "websocket"
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        active = self.metrics.active_of(kind)
        active.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            active.dec()
            if kind == "http":
                self.metrics.observe_request(
                    method_label(scope), route_label(scope), status, time.perf_counter() - start
                )
