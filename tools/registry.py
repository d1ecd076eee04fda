"""The one registry of tools. LangGraph, MCP and REST adapt these specs; none re-implements a tool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from tools.context import ToolContext


@dataclass(frozen=True)
class ToolSpec:
    name: str
    function: Callable[[BaseModel, ToolContext], BaseModel]
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    read_only: bool = True

    @property
    def description(self) -> str:
        """The function's docstring: written for an LLM caller."""
        return (self.function.__doc__ or "").strip()

    def run(self, ctx: ToolContext, **arguments: object) -> BaseModel:
        """Validate ``arguments`` with the input model and call the tool."""
        return self.function(self.input_model.model_validate(arguments), ctx)


@cache
def all_tools() -> tuple[ToolSpec, ...]:
    from tools.connections import ConnectionList, ListConnectionsInput, list_connections
    from tools.pdf_read import PdfReadResult, ReadPdfInput, read_pdf
    from tools.safe_query import QueryResult, RunQueryInput, run_query
    from tools.schema_inspect import InspectSchemaInput, SchemaResult, inspect_schema

    return (
        ToolSpec("list_connections", list_connections, ListConnectionsInput, ConnectionList),
        ToolSpec("inspect_schema", inspect_schema, InspectSchemaInput, SchemaResult),
        ToolSpec("run_query", run_query, RunQueryInput, QueryResult),
        ToolSpec("read_pdf", read_pdf, ReadPdfInput, PdfReadResult),
    )


def get_tool(name: str) -> ToolSpec:
    for spec in all_tools():
        if spec.name == name:
            return spec
    raise KeyError(name)
