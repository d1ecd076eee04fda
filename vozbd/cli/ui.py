"""``vozbd ui``: the voice chat in the browser (Chainlit), from any directory."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from vozbd.wiring import App


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def _speech_hint(app: App) -> str | None:
    """pt-BR hint when the offline speech models are not installed (text still works)."""
    from agent.speech.base import SpeechError
    from agent.speech.stt_whisper import resolve_model

    config = app.speech_config
    try:
        resolve_model(config.stt_model, config.models_dir)
        stt_ok = True
    except SpeechError:
        stt_ok = False
    if stt_ok and app.speech.available().get(config.tts_engine) is None:
        return None
    return (
        "Modelos de voz não instalados: rode `vozbd models install` para falar e ouvir as respostas "
        "(o chat por texto funciona mesmo assim)."
    )


def ui(
    host: str | None = typer.Option(
        None, "--host", help="Interface to listen on (default: VOZBD_HOST, 127.0.0.1).", metavar="HOST"
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default: VOZBD_PORT, 8000).", metavar="PORT"),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Connection name or SQLAlchemy URL (default: VOZBD_DEFAULT_DB or demo).",
        metavar="NAME_OR_URL",
    ),
    model: str | None = typer.Option(
        None, "--model", help='LLM as "provider/model" (default: VOZBD_MODEL or detected).', metavar="PROVIDER/MODEL"
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser tab."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Serve off loopback without login (refused otherwise). Risky."
    ),
    https: bool = typer.Option(
        False, "--https", help="Serve over HTTPS with a self-signed certificate (made once, reused): mic on phones."
    ),
    cert: Path | None = typer.Option(
        None, "--cert", help="TLS certificate (PEM) instead of the self-signed one.", metavar="PEM_FILE"
    ),
    key: Path | None = typer.Option(None, "--key", help="Private key (PEM) of --cert.", metavar="PEM_FILE"),
) -> None:
    """Open the voice chat in the browser, on the default database (the demo one unless set) or --db."""
    from vozbd.cli.context import load_app

    app = load_app(host=host, port=port, default_db=db, model=model)
    server = app.server

    from ui import launch
    from ui.auth import AuthConfigError, check_auth_config
    from vozbd.api.guard import standalone_guard
    from vozbd.auth import AuthPolicy, InsecureExposureError, check_exposure

    try:
        check_auth_config(app.ui_config)
        check_exposure(AuthPolicy.from_settings(app.settings, insecure=insecure), server.host, ("ui",))
    except AuthConfigError as error:
        typer.echo(f"Erro: {error}", err=True)
        raise typer.Exit(2) from None
    except InsecureExposureError as error:
        typer.echo(f"Erro: {error.message}", err=True)
        raise typer.Exit(2) from None
    if app.ui_config.auth != "none":  # the history sidebar's tables come from the app database's migrations
        from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError

        try:
            app.open_database().dispose()
        except (AppDatabaseError, AppDatabaseConfigError) as error:
            typer.echo(f"Erro ({error.code}): {error.message}", err=True)
            raise typer.Exit(4) from None
    from vozbd.cli.ports import check_port_free
    from vozbd.gc_tuning import tuned_gc
    from vozbd.tls import TlsError, resolve_tls, urls

    try:
        tls = resolve_tls(https=https, cert=cert, key=key, data_dir=app.paths.data_dir)
    except TlsError as error:
        typer.echo(f"Erro: {error.message}", err=True)
        raise typer.Exit(2) from None
    check_port_free(server.host, server.port)
    launch.configure_logging(server.log_level)
    typer.echo(f"vozbd: chat de voz em {'  '.join(urls(server.host, server.port, tls))}  (Ctrl+C para sair)")
    if tls is not None and tls.generated:
        typer.echo(f"Certificado autoassinado criado em {tls.cert}: aceite-o no navegador (veja o README).")
    hint = _speech_hint(app)
    if hint:
        typer.echo(hint)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is the normal way to stop
        guard = standalone_guard(app.settings, server.host, insecure=insecure)  # Host/Origin checks (DNS rebinding)
        with tuned_gc(app.settings.gc_thresholds):
            launch.serve(app.ui, host=server.host, port=server.port, open_browser=not no_browser, wrap=guard, tls=tls)
