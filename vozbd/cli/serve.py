"""``vozbd serve``: one process with the chat UI at /, the MCP endpoint at /mcp and the REST API at /api."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str | None = typer.Option(None, "--host", help="Interface to listen on (default: VOZBD_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default: VOZBD_PORT, 8000)."),
    ui: bool = typer.Option(True, "--ui/--no-ui", help="Serve the Chainlit voice chat at /."),
    mcp: bool = typer.Option(True, "--mcp/--no-mcp", help="Serve the MCP streamable-HTTP endpoint at /mcp."),
) -> None:
    """Run the web server: chat UI at /, MCP at /mcp, REST tools at /api/tools (OpenAPI at /docs)."""
    import uvicorn

    from vozbd.server import create_app
    from vozbd.settings import Settings

    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    app = create_app(settings, mount_ui=ui, mount_mcp=mcp)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    typer.echo(f"vozbd: http://{shown}:{port}/  (MCP: /mcp, API: /api/tools, docs: /docs)  Ctrl+C para sair")
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
