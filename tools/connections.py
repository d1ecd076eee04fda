"""The ``list_connections`` tool: which databases can be queried (never shows passwords)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.context import ToolContext
from tools.db.connect import demo_connection
from tools.db.registry import DEMO_NAME, ConnectionInfo
from tools.db.urls import dialect_of, mask_url


class ListConnectionsInput(BaseModel):
    """No parameters."""

    model_config = ConfigDict(extra="forbid")


class ConnectionList(BaseModel):
    connections: list[ConnectionInfo] = Field(description="Databases available, demo first.")
    default: str = Field(description="Connection used when a tool call names none.")

    def to_text(self) -> str:
        if not self.connections:
            return "Nenhuma conexão de banco de dados disponível."
        lines = ["Conexões disponíveis:"]
        for info in self.connections:
            marks = [m for m, on in (("padrão", info.name == self.default), ("demonstração", info.is_demo)) if on]
            suffix = f" [{', '.join(marks)}]" if marks else ""
            lines.append(f"- {info.name} ({info.dialect}){suffix}: {info.masked_url}")
        return "\n".join(lines)


def _visible(name: str, allowed: tuple[str, ...] | None) -> bool:
    return allowed is None or "*" in allowed or name in allowed


def list_connections(params: ListConnectionsInput, ctx: ToolContext) -> ConnectionList:
    """List the databases you can inspect and query, with their SQL dialect.

    Returns each connection's `name` (pass it as `connection` to inspect_schema and run_query), its
    dialect (sqlite, postgres, mysql, oracle, tsql) and its URL with the password hidden. The `default`
    connection is used when you do not name one; `demo` is a bundled pt-BR e-commerce/customer-service
    sample database (reference date 2026-06-30). Call this when the user mentions a database by name or
    asks which databases exist; you do not need it before querying the default database.
    """
    allowed = ctx.allowed_connections
    infos: list[ConnectionInfo] = []
    if _visible(DEMO_NAME, allowed):
        demo = demo_connection()
        infos.append(ConnectionInfo(name=DEMO_NAME, dialect=demo.dialect, masked_url="demo.sqlite", is_demo=True))
    declared = [
        ConnectionInfo(name=name, dialect=dialect_of(d.url), masked_url=mask_url(d.url))
        for name, d in sorted(ctx.declared_connections.items())
    ]
    saved = [info for info in ctx.registry.list() if info.name not in ctx.declared_connections]
    infos += [info for info in [*declared, *saved] if _visible(info.name, allowed)]
    default = (ctx.default_connection or "").strip() or DEMO_NAME
    if "://" in default:
        default = mask_url(default)
    return ConnectionList(connections=infos, default=default)
