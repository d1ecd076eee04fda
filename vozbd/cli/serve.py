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

    from vozbd.cli.context import load_app
    from vozbd.server import create_app

    vozbd_app = load_app(host=host, port=port)
    server = vozbd_app.server
    app = create_app(vozbd_app, mount_ui=ui, mount_mcp=mcp)
    shown = "localhost" if server.host in ("127.0.0.1", "0.0.0.0", "::") else server.host
    typer.echo(f"vozbd: http://{shown}:{server.port}/  (MCP: /mcp, API: /api/tools, docs: /docs)  Ctrl+C para sair")
    uvicorn.run(app, host=server.host, port=server.port, log_level=server.log_level.lower())
