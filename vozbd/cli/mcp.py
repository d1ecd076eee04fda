"""``vozbd mcp``: the MCP server over stdio (default) or streamable HTTP (``--http``)."""

from __future__ import annotations

import typer


def mcp(
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio."),
    host: str | None = typer.Option(None, "--host", help="HTTP host (default: VOZBD_HOST, 127.0.0.1).", metavar="HOST"),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="HTTP port.", metavar="PORT"),
    insecure: bool = typer.Option(
        False, "--insecure", help="Serve HTTP off loopback without a token (refused otherwise). Risky."
    ),
) -> None:
    """Run the MCP server: every vozbd tool, the schema:// resources and two prompts, over stdio or HTTP.

    Tools: list_connections, search_schema, inspect_schema, run_query, explain_query, read_pdf.
    Stdio is what Claude Desktop, VS Code and Cursor launch (nothing but protocol goes to stdout).
    VOZBD_MCP_TOKEN requires "Authorization: Bearer <token>" over HTTP; VOZBD_MCP_CONNECTIONS picks the
    exposed connections.
    """
    from vozbd.cli.context import load_app

    app = load_app(host=host)
    if http:
        from mcp_server.http import run_http
        from vozbd.api.guard import standalone_guard
        from vozbd.auth import AuthPolicy, InsecureExposureError, check_exposure

        settings = app.settings
        try:
            check_exposure(AuthPolicy.from_settings(settings, insecure=insecure), app.mcp.host, ("mcp",))
        except InsecureExposureError as error:
            typer.echo(f"Erro: {error.message}", err=True)
            raise typer.Exit(2) from None
        run_http(app.mcp, app.tool_ctx, port, wrap=standalone_guard(settings, app.mcp.host, insecure=insecure))
    else:
        from mcp_server.server import run_stdio

        run_stdio(app.mcp, app.tool_ctx)


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)
