"""Adapter from the tool registry (``tools.registry``) to the agent: LLM-facing schemas and execution.

The schemas the model sees are generated from each tool's pydantic input model and docstring; nothing is
re-declared here. Results go back to the model as clearly delimited *data* (prompt-injection defence),
errors as pt-BR messages with their code so the model can act on them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ValidationError

from agent import prompts
from agent.memory_context import MemoryProvider, safe_memory_text
from tools.audit import calling_as, current_caller
from tools.context import ToolContext
from tools.errors import ToolError
from tools.policy import policy_for
from tools.registry import ToolSpec

log = logging.getLogger(__name__)

SQL_TOOL = "run_query"
SCHEMA_TOOL = "inspect_schema"


def tool_schema(spec: ToolSpec) -> dict[str, Any]:
    """The OpenAI-format tool definition the model sees, generated from the spec's input model and docstring.

    Built from ``input_model.model_json_schema()`` (by alias, e.g. ``schema`` not ``schema_``), which is what the
    input model validates; LangChain's StructuredTool would expose Python field names instead.
    """
    function = convert_to_openai_tool(spec.input_model)["function"]
    return {"type": "function", "function": {**function, "name": spec.name, "description": spec.description}}


def tool_schemas(specs: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [tool_schema(spec) for spec in specs]


@dataclass
class ToolOutcome:
    name: str
    args: dict[str, Any]
    result: BaseModel | None
    error: dict[str, Any] | None
    elapsed_ms: float
    text: str
    """What the model reads (a ToolMessage's content)."""

    @property
    def artifact(self) -> dict[str, Any]:
        """Small JSON-safe summary kept on the ToolMessage (checkpointed; used by the scripted model)."""
        data: dict[str, Any] = {"tool": self.name, "ok": self.error is None, "elapsed_ms": round(self.elapsed_ms, 3)}
        if self.error:
            data["error_code"] = self.error.get("error")
        if self.name == SQL_TOOL:
            data["sql"] = str(self.args.get("sql", ""))
        rows = getattr(self.result, "rows", None)
        if rows is not None:
            data["row_count"] = getattr(self.result, "row_count", len(rows))
            data["first_value"] = _json_safe(rows[0][0]) if rows and len(rows[0]) else None
        return data


def _json_safe(value: object) -> object:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


_DATA_MARKER = re.compile(r"<(\s*/?\s*dados)", re.IGNORECASE)


def escape_data_markers(text: str) -> str:
    """Neutralise ``<dados``/``</dados`` written inside the data (a cell, a column name, a PDF line): the model
    must never see a boundary the data wrote itself, so ``<`` becomes ``‹`` there."""
    return _DATA_MARKER.sub(lambda match: "‹" + match.group(1), text)


def frame_data(tool: str, text: str) -> str:
    """Wrap a tool result so the model sees it as delimited data, never as instructions."""
    note, opening = prompts.DATA_NOTE.format(tool=tool), prompts.DATA_OPEN.format(source=tool)
    return "\n".join((note, opening, escape_data_markers(text), prompts.DATA_CLOSE))


def persistable_connection(connection: str | None) -> bool:
    """Saved names and password-less URLs may be stored in the checkpoint; URLs with a password may not."""
    from tools.db.urls import mask_url

    if not connection:
        return False
    return "://" not in connection or mask_url(connection) == connection.strip()


def masked_connection(connection: str | None) -> str | None:
    """A connection name as is; a URL with its password replaced by ***."""
    if connection and "://" in connection:
        from tools.db.urls import mask_url

        return mask_url(connection)
    return connection


def masked_args(args: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments safe to show and log."""
    connection = args.get("connection")
    return {**args, "connection": masked_connection(connection)} if isinstance(connection, str) else args


def with_active_connection(spec: ToolSpec, args: dict[str, Any], connection: str | None) -> dict[str, Any]:
    """The model may omit ``connection``: it defaults to the turn's active connection."""
    if connection and "connection" in spec.input_model.model_fields and not args.get("connection"):
        return {**args, "connection": connection}
    return args


def run_tool(spec: ToolSpec, args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    """Validate, run and render one tool call. ToolErrors and bad arguments become messages, never exceptions."""
    start = time.perf_counter()
    result: BaseModel | None = None
    error: dict[str, Any] | None = None
    try:
        params = spec.input_model.model_validate(args)
        caller = current_caller()
        with calling_as("agent" if caller.surface == "unknown" else caller.surface, caller.user):
            result = spec.function(params, ctx)
        text = frame_data(spec.name, result.to_text())  # type: ignore[attr-defined]  # every tool result model defines to_text (BaseModel does not)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in exc.errors())
        error = {"error": "invalid_input", "message": f"Argumentos inválidos para {spec.name}: {problems}"}
        text = prompts.TOOL_ERROR.format(code="invalid_input", tool=spec.name, message=error["message"])
    except ToolError as exc:
        log.info("tool %s failed: %s (%s)", spec.name, exc.code, exc.message)
        error = exc.to_dict()
        text = prompts.TOOL_ERROR.format(code=exc.code, tool=spec.name, message=exc.message)
    except Exception:  # a bug in a tool: log it loudly, tell the model something generic it can act on
        log.exception("unexpected error in tool %s with args %r", spec.name, masked_args(args))
        error = {"error": "internal_error", "message": "Falha inesperada ao executar a ferramenta."}
        text = prompts.TOOL_UNEXPECTED_ERROR.format(tool=spec.name)
    elapsed_ms = (time.perf_counter() - start) * 1000
    return ToolOutcome(spec.name, args, result, error, elapsed_ms, text)


def schema_context(
    ctx: ToolContext,
    connection: str | None,
    question: str | None,
    *,
    memory: MemoryProvider | None = None,
    picker: BaseChatModel | None = None,
    picker_min_tables: int = 0,
) -> tuple[str, str, str]:
    """``(connection name, dialect, prompt context)``: the compact schema within the prompt budget, ranked for the
    question (with value hints), then the glossary terms and verified examples of the connection's memory.

    With ``picker`` (a chat model) and a schema of at least ``picker_min_tables`` tables, the model first picks
    tables from their names and those rank first."""
    from tools.db.connect import resolve_connection
    from tools.schema_inspect import InspectSchemaInput
    from tools.schema_inspect.tool import cached_schema, prompt_for

    try:
        resolved = resolve_connection(ctx, connection)
    except ToolError as exc:
        return connection or "?", "?", prompts.SCHEMA_UNAVAILABLE.format(reason=exc.message)
    params = InspectSchemaInput(connection=connection, question=question)
    try:
        prefer: list[str] = []
        if picker is not None and picker_min_tables > 0 and question:
            from agent.table_picker import pick_tables

            names = [t.name for t in cached_schema(ctx, resolved, params).tables]
            if len(names) >= picker_min_tables:
                prefer = pick_tables(picker, question, names)
        text = prompt_for(ctx, resolved, params, question, prefer=prefer).compact
    except ToolError as exc:
        log.warning("schema context for %s unavailable: %s", resolved.name, exc.code)
        text = prompts.SCHEMA_UNAVAILABLE.format(reason=exc.message)
    if resolved.is_demo:
        from tools.db.demo import DEMO_REFERENCE_DATE

        text += "\n" + prompts.DEMO_REFERENCE.format(date=DEMO_REFERENCE_DATE.isoformat())
    samples = policy_for(ctx.policies, resolved.name).samples
    remembered = safe_memory_text(memory, resolved.name, question, literals=samples)
    if remembered:
        text += "\n\n" + remembered
    return resolved.name, resolved.dialect, text


def dialect_rules(dialect: str | None) -> dict[str, str]:
    """The dialect-specific parts of the system prompt's answer-shape rule."""
    key = dialect or ""
    return {
        "limit_hint": prompts.DIALECT_LIMIT.get(key, prompts.DEFAULT_LIMIT),
        "dialect_notes": prompts.DIALECT_NOTES.get(key, ""),
    }
