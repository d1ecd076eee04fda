"""``POST /api/tools/<name>``: every tool of ``tools.registry`` as a typed REST endpoint (kept from before v1)."""

# No ``from __future__ import annotations``: FastAPI must see the real model classes in the per-tool signatures.
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from tools.audit import calling_as
from tools.context import ToolContext
from tools.registry import ToolSpec, all_tools
from vozbd.api.deps import CurrentKey, rate_limited
from vozbd.api.schemas import ERROR_RESPONSES


def _tool_endpoint(spec: ToolSpec, ctx: ToolContext) -> Callable[..., Any]:
    input_model = spec.input_model

    async def endpoint(params: input_model, key: CurrentKey) -> BaseModel:  # type: ignore[valid-type]  # a pydantic model built at run time, used as the FastAPI body type
        with calling_as("api", key.name if key else None):
            return await run_in_threadpool(spec.function, params, ctx)

    endpoint.__name__ = f"tool_{spec.name}"
    endpoint.__doc__ = spec.description
    return endpoint


def build_router(ctx: ToolContext) -> APIRouter:
    """The tool endpoints bound to ``ctx`` (which accepts connection names only, never URLs)."""
    router = APIRouter(
        prefix="/api/tools", tags=["tools"], dependencies=[Depends(rate_limited)], responses=ERROR_RESPONSES
    )

    @router.get("", summary="List the tools with their input and output JSON schemas")
    async def list_tools() -> list[dict[str, Any]]:
        return [
            {
                "name": spec.name,
                "title": spec.title,
                "description": spec.description,
                "read_only": spec.read_only,
                "input_schema": spec.input_model.model_json_schema(),
                "output_schema": spec.output_model.model_json_schema(),
            }
            for spec in all_tools()
        ]

    for spec in all_tools():
        router.post(
            f"/{spec.name}",
            response_model=spec.output_model,
            summary=spec.description.splitlines()[0] if spec.description else spec.name,
        )(_tool_endpoint(spec, ctx))
    return router
