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
    insecure: bool = typer.Option(
        False,
        "--insecure",
        help="Start even when a surface has no credentials off loopback (or next to a protected one). Risky.",
    ),
) -> None:
    """Run the web server: chat UI at /, MCP at /mcp, REST API v1 at /api/v1 (OpenAPI at /docs).

    Off loopback every surface needs credentials (VOZBD_API_KEYS, VOZBD_MCP_TOKEN, VOZBD_UI_AUTH);
    otherwise the server refuses to start unless --insecure is given.
    """
    import uvicorn

    from vozbd.auth import InsecureExposureError
    from vozbd.cli.context import load_app
    from vozbd.server import create_app

    vozbd_app = load_app(host=host, port=port)
    server = vozbd_app.server
    try:
        app = create_app(vozbd_app, mount_ui=ui, mount_mcp=mcp, insecure=insecure)
    except InsecureExposureError as error:
        typer.echo(f"Erro: {error.message}", err=True)
        raise typer.Exit(2) from None
    shown = "localhost" if server.host in ("127.0.0.1", "0.0.0.0", "::") else server.host
    typer.echo(f"vozbd: http://{shown}:{server.port}/  (MCP: /mcp, API: /api/v1, docs: /docs)  Ctrl+C para sair")
    uvicorn.run(app, host=server.host, port=server.port, log_level=server.log_level.lower())
