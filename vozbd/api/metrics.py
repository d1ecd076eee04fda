"""Prometheus metrics of ``vozbd serve`` (``GET /metrics``), on a registry owned by the app (not the global one).

- ``vozbd_http_requests_total{method,route,status}`` and ``vozbd_http_request_duration_seconds{method,route}``:
  ``route`` is the route template (``/api/v1/connections/{name}/schema``), ``/mcp`` or ``ui`` — never a raw path.
- ``vozbd_turn_stage_seconds{stage}``: per-stage turn latency (stt, llm_first_token, sql, tts_first_audio, total).
- ``vozbd_safe_query_refusals_total{reason}``: statements refused by the read-only validator.
- ``vozbd_active{kind}``: in-flight HTTP requests (``http``), open SSE streams (``sse``), every open WebSocket
  (``websocket``: chat and voice) and voice sessions (``voice``).
- ``vozbd_rate_limit_degraded_total``: rate-limit checks answered in-process because Redis failed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STAGES = {
    "stt_ms": "stt",
    "llm_first_token_ms": "llm_first_token",
    "sql_ms": "sql",
    "tts_first_audio_ms": "tts_first_audio",
    "total_ms": "total",
}
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ApiMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
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
            "vozbd_turn_stage_seconds", "Agent turn latency per stage.", ["stage"],
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.refusals = Counter(
            "vozbd_safe_query_refusals", "Statements refused by safe-query, by reason.", ["reason"],
            registry=self.registry,
        )  # fmt: skip
        self.active = Gauge("vozbd_active", "Open requests, SSE streams, WebSockets.", ["kind"], registry=self.registry)
        self.rate_limit_degraded = Counter(
            "vozbd_rate_limit_degraded", "Rate-limit checks answered in-process because Redis failed.",
            registry=self.registry,
        )  # fmt: skip
        for kind in ("http", "sse", "websocket", "voice"):
            self.active.labels(kind)

    def observe_turn(self, timings: Mapping[str, float]) -> None:
        for key, stage in STAGES.items():
            value = timings.get(key)
            if value is not None:
                self.turn_stage.labels(stage).observe(value / 1000)

    def refused(self, detail: Mapping[str, Any] | None) -> None:
        detail = detail or {}
        reason = str(detail.get("reason") or detail.get("code") or "unsafe_query")[:40]
        self.refusals.labels(reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


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

        self.metrics.active.labels(kind).inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.active.labels(kind).dec()
            if kind == "http":
                route = route_label(scope)
                method = scope.get("method", "GET")
                self.metrics.requests.labels(method, route, str(status)).inc()
                self.metrics.latency.labels(method, route).observe(time.perf_counter() - start)
