"""Turn one ``ToolSpec`` into a FastMCP tool function, without re-implementing or re-describing the tool.

FastMCP derives a tool's inputSchema from the function signature. A single parameter typed as the input
model would give a nested schema (``{"params": {"$ref": ...}}``) that LLM clients fill in poorly, so the
adapter gets a flat signature: one keyword parameter per input-model field, carrying that field's type,
constraints, default and description. The return annotation ``Annotated[CallToolResult, OutputModel]``
gives the outputSchema; the result carries ``to_text()`` as text content and the model as structuredContent.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio.to_thread
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from tools.audit import calling_as
from tools.context import ToolContext
from tools.registry import ToolSpec

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


def flat_parameters(model: type[BaseModel]) -> list[inspect.Parameter]:
    """One keyword-only parameter per field of ``model``, keeping type, constraints, default and description.

    A field with an alias (``schema_`` aliased ``schema``) is exposed under its alias, as the model expects it.
    """
    parameters = []
    for field_name, info in model.model_fields.items():
        name = info.alias if info.alias and info.alias.isidentifier() else field_name
        default = inspect.Parameter.empty if info.is_required() else info.get_default(call_default_factory=True)
        described = Field(description=info.description, title=info.title, examples=info.examples)
        annotation = Annotated[(info.annotation, *info.metadata, described)]  # type: ignore[name-defined]  # built at run time from the model's fields
        kind = inspect.Parameter.KEYWORD_ONLY
        parameters.append(inspect.Parameter(name, kind, default=default, annotation=annotation))
    return parameters


def render(spec: ToolSpec, result: BaseModel) -> CallToolResult:
    """Readable text for the model to read plus the structured result for programs, within the same budget."""
    to_text = getattr(result, "to_text", None)
    text = to_text() if callable(to_text) else result.model_dump_json(indent=2)
    return CallToolResult(content=[TextContent(type="text", text=text)], structuredContent=spec.structured(result))


def tool_function(
    spec: ToolSpec, ctx: ToolContext, user: str | None = None
) -> Callable[..., Awaitable[CallToolResult]]:
    """An async function FastMCP can register for ``spec``; the tool itself runs in a worker thread.

    Its calls are audited as surface ``mcp`` with ``user`` (the local OS user over stdio)."""

    async def call(**arguments: Any) -> CallToolResult:
        params = spec.input_model.model_validate(arguments)
        with calling_as("mcp", user):
            result = await anyio.to_thread.run_sync(spec.function, params, ctx)
        return render(spec, result)

    call.__name__ = spec.name
    call.__qualname__ = spec.name
    call.__doc__ = spec.description
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # inspect reads __signature__ set on a function object
        flat_parameters(spec.input_model),
        return_annotation=Annotated[CallToolResult, spec.output_model],
    )
    return call
