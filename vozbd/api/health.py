"""Liveness (``/health``), readiness (``/ready``, each dependency reported separately) and ``/metrics``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vozbd import __version__
from vozbd.api.deps import Services

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_S = 3.0


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str
    insecure: bool = Field(False, description="Started with --insecure: some surface is open without credentials.")


class Check(BaseModel):
    ok: bool
    required: bool = Field(True, description="False: reported, but does not make the service unready.")
    detail: dict[str, Any] = Field(default_factory=dict)
    elapsed_ms: float


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, Check]


# HEAD too (load balancers and uptime checkers probe with it; GET-only routes answered 405), off the schema.
@router.get("/health", summary="Liveness: the process answers")
@router.head("/health", include_in_schema=False)
@router.get("/api/health", include_in_schema=False)
@router.head("/api/health", include_in_schema=False)
async def health(services: Services) -> Health:
    return Health(status="ok", version=__version__, insecure=services.insecure)


async def _probe(name: str, probe: Any) -> tuple[str, Check]:
    start = time.perf_counter()
    try:
        result = await asyncio.wait_for(run_in_threadpool(probe), PROBE_TIMEOUT_S)
    except TimeoutError:
        result = {"ok": False, "error": f"sem resposta em {PROBE_TIMEOUT_S:.0f} s"}
    except Exception as error:  # a probe reports a failure, it never fails /ready
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    result = dict(result)
    ok = bool(result.pop("ok"))
    required = bool(result.pop("required", True))
    elapsed = round((time.perf_counter() - start) * 1000, 2)
    return name, Check(ok=ok, required=required, detail=result, elapsed_ms=elapsed)


@router.get(
    "/ready",
    summary="Readiness: app DB, Redis, connection registry, STT/TTS, LLM — each reported separately",
    responses={503: {"model": Readiness, "description": "A required dependency is not ready."}},
)
@router.head("/ready", include_in_schema=False)
async def ready(services: Services) -> JSONResponse:
    checks = dict(await asyncio.gather(*(_probe(name, probe) for name, probe in services.readiness.items())))
    if services.limiter.backend == "redis":
        start = time.perf_counter()
        ok = await services.limiter.ping()
        checks["redis"] = Check(
            ok=ok,
            required=False,  # limits degrade to in-process counters (see README): not a reason to stop traffic
            detail={} if ok else {"error": "Redis não responde; limites contados por processo"},
            elapsed_ms=round((time.perf_counter() - start) * 1000, 2),
        )
    else:
        checks["redis"] = Check(ok=True, required=False, detail={"configured": False}, elapsed_ms=0.0)
    body = Readiness(ready=all(c.ok for c in checks.values() if c.required), checks=checks)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if body.ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(services: Services) -> Response:
    return Response(services.metrics.render(), media_type=services.metrics.content_type)
