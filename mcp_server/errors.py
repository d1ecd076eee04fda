"""Map failures of a tool call to an MCP tool error (``isError: true``) with a clean pt-BR message, once."""

from __future__ import annotations

import logging

from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from tools.errors import InvalidInputError, ToolError

log = logging.getLogger(__name__)


def error_result(error: ToolError) -> CallToolResult:
    text = f"Erro ({error.code}): {error.message}"
    return CallToolResult(content=[TextContent(type="text", text=text)], isError=True)


def as_tool_error(tool_name: str, cause: BaseException | None) -> ToolError:
    """The typed error behind a failed call; unexpected exceptions become a generic message (never a trace)."""
    if isinstance(cause, ToolError):
        log.info("tool %s failed: %s: %s", tool_name, cause.code, cause.message)
        return cause
    if isinstance(cause, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'entrada'}: {item['msg']}" for item in cause.errors()
        )
        log.info("tool %s: invalid arguments: %s", tool_name, problems)
        return InvalidInputError(f"Parâmetros inválidos para {tool_name}: {problems}.")
    log.error("tool %s crashed", tool_name, exc_info=cause)
    return ToolError(
        f"Erro interno ao executar {tool_name}. Tente de novo; se persistir, avise o administrador.",
        code="internal_error",
    )


def find_tool_error(error: BaseException | None) -> ToolError | None:
    """The ToolError somewhere in ``error``'s cause/context chain, if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ToolError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
