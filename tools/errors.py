"""Typed errors raised by tools.

Every error carries a stable machine ``code`` and a pt-BR ``message`` written for
the end user *and* for an LLM that must act on it. Surfaces map these errors once:
CLI exit codes (``vozbd.cli``), HTTP status (``vozbd.server``), MCP ``isError``
(``mcp_server``) and LangGraph tool messages (``agent``).
"""

from __future__ import annotations

from vozbd_core.errors import CodedError


class ToolError(CodedError):
    """Base class of every error a tool raises on purpose."""

    code = "tool_error"


class InvalidInputError(ToolError):
    """The caller's input is malformed (bad page range, empty SQL, ...)."""

    code = "invalid_input"


class UnknownConnectionError(ToolError):
    """No saved connection has that name and it is not a database URL."""

    code = "unknown_connection"


class DriverMissingError(ToolError):
    """The Python driver for a dialect is not installed; the message names the pip command."""

    code = "driver_missing"


class UnsafeQueryError(ToolError):
    """The statement was rejected by the read-only validator (never executed)."""

    code = "unsafe_query"


class DatabaseError(ToolError):
    """The database refused or failed the statement; the message holds the driver's text, credentials masked."""

    code = "database_error"


class PrivilegedConnectionError(DatabaseError):
    """The connection's login may do more than read (superuser, file access, writes...): refused until a read-only
    login is configured or the connection is explicitly allowed (``--allow-privileged``)."""

    code = "privileged_connection"


class ConnectionFailedError(DatabaseError):
    """The database could not be reached (host unreachable, auth failed, unknown database)."""

    code = "connection_failed"


class QueryTimeoutError(DatabaseError):
    """The statement ran past its time limit and was interrupted."""

    code = "query_timeout"


class PdfReadError(ToolError):
    """A PDF could not be read: outside the allowed folders, encrypted, corrupt, without text, too big, not a PDF."""

    code = "pdf_error"
