"""``/api/v1/connections``: list, add, test, delete, schema and safe-query, by connection *name* only.

URLs arrive only on ``POST /api/v1/connections`` (an operator action: with API keys configured, only the keys
named in ``VOZBD_API_ADMINS`` may add or delete; a login with more than read privileges is refused and not kept,
unless the operator opted out with ``VOZBD_ALLOW_PRIVILEGED``); every other endpoint takes a saved name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tools.audit import calling_as
from tools.connections import ListConnectionsInput, list_connections
from tools.context import ToolContext
from tools.db.connect import resolve_connection, test_connection
from tools.db.transport import saved_tunnel, ssh_destination
from tools.db.urls import parse_url
from tools.safe_query import QueryResult, RunQueryInput, run_query
from tools.schema_inspect import InspectSchemaInput, SchemaResult, inspect_schema
from vozbd.api.deps import CurrentKey, Services, rate_limited
from vozbd.api.errors import ApiError
from vozbd.api.schemas import (
    CONNECTION_NAME,
    ERROR_RESPONSES,
    ConnectionIn,
    ConnectionOut,
    ConnectionTest,
    QueryIn,
)

router = APIRouter(
    prefix="/api/v1/connections", tags=["connections"], dependencies=[Depends(rate_limited)], responses=ERROR_RESPONSES
)


def _require_admin(services: Services, key: CurrentKey) -> None:
    if key is None or key.name in services.admins:
        return
    raise ApiError(
        403,
        "admin_required",
        f"A chave '{key.name}' não pode alterar conexões: peça ao operador (VOZBD_API_ADMINS).",
    )


Admin = Annotated[None, Depends(_require_admin)]


def _tunnels(ctx: ToolContext) -> dict[str, str]:
    """``user@host:port`` of every saved connection that has an SSH tunnel."""
    tunnels = {name: ctx.registry.ssh_for(name) for name in ctx.registry.names()}
    return {name: ssh_destination(ssh) for name, ssh in tunnels.items() if ssh is not None}


@router.get("", summary="Saved connections (passwords never shown)")
async def list_all(services: Services) -> list[ConnectionOut]:
    listing = await run_in_threadpool(list_connections, ListConnectionsInput(), services.tool_ctx)
    tunnels = await run_in_threadpool(_tunnels, services.tool_ctx)
    return [ConnectionOut(**info.model_dump(), ssh=tunnels.get(info.name)) for info in listing.connections]


@router.post("", status_code=201, summary="Save a connection (the password is stored encrypted, write-only)")
async def add(body: ConnectionIn, services: Services, _: Admin) -> ConnectionOut:
    url = parse_url(body.url)
    if body.password is not None:
        url = url.set(password=body.password.get_secret_value())
    ssh = None
    if body.ssh is not None:
        ssh = saved_tunnel(
            body.ssh.host,
            Path(body.ssh.key_file) if body.ssh.key_file else None,
            Path(body.ssh.known_hosts) if body.ssh.known_hosts else None,
            labels=("ssh.host", "ssh.key_file", "ssh.known_hosts"),
        )
    ctx = services.tool_ctx
    info = await run_in_threadpool(lambda: ctx.registry.add(body.name, url, ssh=ssh))

    def privileged() -> str | None:  # a login that may do more than read is never kept from the API
        result = test_connection(ctx, resolve_connection(ctx, body.name))
        return result.message if result.reason_code == "privileged" else None

    refusal = await run_in_threadpool(privileged)
    if refusal is not None:
        await run_in_threadpool(ctx.registry.remove, body.name)
        raise ApiError(422, "privileged_connection", f"{refusal} A conexão não foi salva.")
    return ConnectionOut(**info.model_dump(), ssh=ssh_destination(ssh) if ssh else None)


@router.delete("/{name}", status_code=204, summary="Remove a saved connection")
async def remove(name: str, services: Services, _: Admin) -> Response:
    _check_name(name)
    await run_in_threadpool(services.tool_ctx.registry.remove, name)
    return Response(status_code=204)


@router.post("/{name}/test", summary="Open the connection and read the server version")
async def test(name: str, services: Services) -> ConnectionTest:
    _check_name(name)

    def run() -> ConnectionTest:
        conn = resolve_connection(services.tool_ctx, name)
        return ConnectionTest(**test_connection(services.tool_ctx, conn).model_dump())

    return await run_in_threadpool(run)


@router.get("/{name}/schema", summary="Tables, columns, keys and sample values of a connection")
async def schema(
    name: str,
    services: Services,
    tables: Annotated[list[str] | None, Query(description="Only these tables (globs allowed).")] = None,
    schema_name: Annotated[str | None, Query(alias="schema", description="PostgreSQL schema / MySQL db.")] = None,
) -> SchemaResult:
    _check_name(name)
    params = InspectSchemaInput.model_validate({"connection": name, "tables": tables, "schema": schema_name})
    return await run_in_threadpool(inspect_schema, params, services.tool_ctx)


@router.post("/{name}/query", summary="Run ONE read-only statement through safe-query")
async def query(name: str, body: QueryIn, services: Services, key: CurrentKey) -> QueryResult:
    _check_name(name)
    params = RunQueryInput.model_validate({"sql": body.sql, "connection": name, "max_rows": body.max_rows})
    with calling_as("api", key.name if key else None):  # query audit (and /metrics refusals): who ran it
        return await run_in_threadpool(run_query, params, services.tool_ctx)


def _check_name(name: str) -> None:
    if not re.fullmatch(CONNECTION_NAME, name):  # match() lets a trailing newline through
        raise ApiError(404, "unknown_connection", f"Conexão '{name[:64]}' não encontrada.")
