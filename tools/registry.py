"""The one registry of tools. LangGraph, MCP and REST adapt these specs; none re-implements a tool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from tools.context import ToolContext


@dataclass(frozen=True)
class ToolSpec:
    name: str
    function: Callable[[Any, ToolContext], BaseModel]
    """``tool(params: input_model, ctx) -> output_model`` (typed per tool; ``Any`` here because callables are
    contravariant in their parameters)."""
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    title: str = ""
    """Human-readable name shown by MCP clients (pt-BR, for the end user)."""
    read_only: bool = True

    @property
    def description(self) -> str:
        """The function's docstring: written for an LLM caller."""
        return (self.function.__doc__ or "").strip()

    def structured(self, result: BaseModel) -> dict[str, Any]:
        """The structured twin of ``result.to_text()`` for MCP: the same budget (``to_structured`` when the
        result has one, else the whole model)."""
        to_structured = getattr(result, "to_structured", None)
        if callable(to_structured):
            return to_structured()
        return result.model_dump(mode="json", by_alias=True)

    def run(self, ctx: ToolContext, **arguments: object) -> BaseModel:
        """Validate ``arguments`` with the input model and call the tool."""
        return self.function(self.input_model.model_validate(arguments), ctx)


@cache
def all_tools() -> tuple[ToolSpec, ...]:
    from tools.connections import ConnectionList, ListConnectionsInput, list_connections
    from tools.pdf_read import PdfReadResult, ReadPdfInput, read_pdf
    from tools.safe_query import QueryResult, RunQueryInput, run_query
    from tools.safe_query.explain import ExplainQueryInput, ExplainResult, explain_query
    from tools.schema_inspect import InspectSchemaInput, SchemaResult, inspect_schema
    from tools.schema_inspect.search import search_schema
    from tools.schema_inspect.search_models import SchemaSearchResult, SearchSchemaInput

    return (
        ToolSpec("list_connections", list_connections, ListConnectionsInput, ConnectionList, "Listar conexões"),
        ToolSpec("search_schema", search_schema, SearchSchemaInput, SchemaSearchResult, "Buscar tabelas e colunas"),
        ToolSpec("inspect_schema", inspect_schema, InspectSchemaInput, SchemaResult, "Ver esquema do banco"),
        ToolSpec("run_query", run_query, RunQueryInput, QueryResult, "Executar consulta (somente leitura)"),
        ToolSpec("explain_query", explain_query, ExplainQueryInput, ExplainResult, "Ver plano de consulta"),
        ToolSpec("read_pdf", read_pdf, ReadPdfInput, PdfReadResult, "Ler PDF"),
    )


def get_tool(name: str) -> ToolSpec:
    for spec in all_tools():
        if spec.name == name:
            return spec
    raise KeyError(name)
