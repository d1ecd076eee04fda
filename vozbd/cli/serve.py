"""``vozbd serve``: one process with the chat UI at /, the MCP endpoint at /mcp and the REST API at /api."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from vozbd.cli.ports import check_port_free

if TYPE_CHECKING:
    from vozbd.wiring import App


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Interface to listen on (default: VOZBD_HOST, 127.0.0.1).", metavar="HOST"
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default: VOZBD_PORT, 8000).", metavar="PORT"),
    ui: bool = typer.Option(True, "--ui/--no-ui", help="Serve the Chainlit voice chat at /."),
    mcp: bool = typer.Option(True, "--mcp/--no-mcp", help="Serve the MCP streamable-HTTP endpoint at /mcp."),
    only: str | None = typer.Option(
        None,
        "--only",
        help="Serve one part only. 'speech': STT/TTS for gateways (set VOZBD_SPEECH_URL on them).",
        metavar="PART",
    ),
    insecure: bool = typer.Option(
        False,
        "--insecure",
        help="Start even when a surface has no credentials off loopback (or next to a protected one). Risky.",
    ),
    https: bool = typer.Option(
        False, "--https", help="Serve over HTTPS with a self-signed certificate (made once, reused): mic on phones."
    ),
    cert: Path | None = typer.Option(
        None, "--cert", help="TLS certificate (PEM) instead of the self-signed one.", metavar="PEM_FILE"
    ),
    key: Path | None = typer.Option(None, "--key", help="Private key (PEM) of --cert.", metavar="PEM_FILE"),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        max=32,
        help="Worker processes (default: VOZBD_WORKERS, 1). Above 1: REST API only (--no-ui --no-mcp).",
        metavar="N",
    ),
) -> None:
    """Run the web server: chat UI at /, MCP at /mcp, REST API v1 at /api/v1 (OpenAPI at /docs).

    Off loopback every surface needs credentials (VOZBD_API_KEYS, VOZBD_MCP_TOKEN, VOZBD_UI_AUTH);
    otherwise the server refuses to start unless --insecure is given. --workers N runs N processes of the
    REST API (both cores); rate limits are shared only through VOZBD_REDIS_URL, /metrics sums every worker.
    """
    import uvicorn

    from vozbd.auth import InsecureExposureError
    from vozbd.cli.context import load_app
    from vozbd.server import create_app

    vozbd_app = load_app(host=host, port=port, workers=workers)
    server = vozbd_app.server
    if only is not None:
        _serve_only(only, vozbd_app, insecure=insecure)
        return
    _check_workers(server.workers, ui=ui, mcp=mcp)
    loop, http = _uvicorn_options(vozbd_app)
    from vozbd.tls import TlsError, resolve_tls, urls

    try:
        tls = resolve_tls(https=https, cert=cert, key=key, data_dir=vozbd_app.paths.data_dir)
    except TlsError as error:
        typer.echo(f"Erro: {error.message}", err=True)
        raise typer.Exit(2) from None
    try:
        app = create_app(vozbd_app, mount_ui=ui, mount_mcp=mcp, insecure=insecure)
    except InsecureExposureError as error:
        typer.echo(f"Erro: {error.message}", err=True)
        raise typer.Exit(2) from None
    check_port_free(server.host, server.port)
    typer.echo(banner(urls(server.host, server.port, tls), ui=ui, mcp=mcp))
    if tls is not None and tls.generated:
        typer.echo(f"Certificado autoassinado criado em {tls.cert}: aceite-o no navegador (veja o README).")
    certfile = str(tls.cert) if tls is not None else None
    keyfile = str(tls.key) if tls is not None else None
    if server.workers > 1:
        from vozbd.server import WorkerOptions, run_workers

        overrides = {name: value for name, value in {"host": host, "port": port}.items() if value is not None}
        run_workers(server, WorkerOptions(insecure=insecure, overrides=overrides), tls=(certfile, keyfile))
        return
    uvicorn.run(
        app,
        host=server.host,
        port=server.port,
        log_level=server.log_level.lower(),
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        loop=loop,
        http=http,
    )


def banner(addresses: list[str], *, ui: bool, mcp: bool) -> str:
    """The start line: the addresses, then the parts actually served (``--no-ui``/``--no-mcp`` leave theirs out)."""
    parts = [*(["chat: /"] if ui else []), *(["MCP: /mcp"] if mcp else []), "API: /api/v1", "docs: /docs"]
    shown = "  ".join(f"{url}/" for url in addresses)
    return f"vozbd: {shown}  ({', '.join(parts)})  Ctrl+C para sair"


def _uvicorn_options(vozbd_app: App) -> tuple[str, str]:
    from vozbd.server import ServerOptionError, uvicorn_options

    try:
        return uvicorn_options(vozbd_app.server)
    except ServerOptionError as error:
        typer.echo(f"Erro: {error.message}", err=True)
        raise typer.Exit(2) from None


def _check_workers(workers: int, *, ui: bool, mcp: bool) -> None:
    if workers > 1 and (ui or mcp):
        typer.echo(
            f"Erro: com {workers} processos (--workers/VOZBD_WORKERS) só a API REST é servida: o chat e o MCP "
            "guardam sessões no processo. Use --no-ui --no-mcp, ou rode-os em outra instância com --workers 1.",
            err=True,
        )
        raise typer.Exit(2)


def _serve_only(part: str, vozbd_app: App, *, insecure: bool) -> None:
    import uvicorn

    from vozbd.auth import is_loopback
    from vozbd.speech_service import create_speech_app
    from vozbd.wiring import local_speech_backend, speech_service_config, speech_token

    settings = vozbd_app.settings
    if part != "speech":
        typer.echo(f"Erro: --only aceita apenas 'speech' (recebido: {part!r}).", err=True)
        raise typer.Exit(2)
    token = speech_token(settings)
    if not token and not is_loopback(settings.host) and not insecure:
        typer.echo(
            f"Erro: recusado iniciar o serviço de voz em {settings.host} sem VOZBD_SPEECH_TOKEN "
            "(qualquer um na rede poderia usá-lo). Defina o token ou use --insecure.",
            err=True,
        )
        raise typer.Exit(2)
    loop, http = _uvicorn_options(vozbd_app)
    check_port_free(settings.host, settings.port)
    app = create_speech_app(local_speech_backend(settings), speech_service_config(settings, insecure=insecure))
    typer.echo(f"vozbd speech: http://{settings.host}:{settings.port}/speech/v1  Ctrl+C para sair")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(), loop=loop, http=http)
