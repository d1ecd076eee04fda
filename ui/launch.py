"""Start the Chainlit chat from any directory: give Chainlit its app root before it is imported, then serve.

``prepare(services)`` must run before the first ``import chainlit`` (Chainlit reads its app root, config and
translations from ``CHAINLIT_APP_ROOT`` at import time, and writes into it). The root is a folder in the data
dir, refreshed from the files shipped in ``ui/`` (config, pt-BR translation, readme, ``public/``), so an
installed, read-only package works and the source tree stays clean. ``serve(...)`` is what ``vozbd ui``
runs; ``ui.mount.mount_ui`` reuses ``prepare`` for ``vozbd serve``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.config import UIConfig, UIServices

UI_DIR = Path(__file__).resolve().parent
APP_FILE = UI_DIR / "app.py"
SHIPPED = (
    ".chainlit/config.toml",
    ".chainlit/translations/pt-BR.json",
    "chainlit.md",
    "chainlit_pt-BR.md",
    "public/vozbd.css",
    "public/vozbd.js",
    "public/elements/Resultado.jsx",
)


def app_root(config: UIConfig) -> Path:
    """``DATA_DIR/ui``, holding fresh copies of the files Chainlit reads from its app root."""
    root = config.data_dir / "ui"
    for relative in SHIPPED:
        source, target = UI_DIR / relative, root / relative
        if source.is_file() and (not target.is_file() or target.read_bytes() != source.read_bytes()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return root


def prepare(services: UIServices) -> str:
    """Set Chainlit's environment and hand ``services`` to the UI; returns the app file path."""
    root = app_root(services.config)
    if "chainlit.config" in sys.modules:
        from chainlit.config import APP_ROOT

        if Path(APP_ROOT).resolve() != root.resolve():
            raise RuntimeError(f"chainlit was imported with app root {APP_ROOT}; call ui.launch.prepare() first")
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    import chainlit.config

    # Chainlit keeps session files in APP_ROOT/.files and deletes that whole folder on shutdown, which would
    # break any other `vozbd ui` started from the same install: give each process its own folder.
    chainlit.config.FILES_DIRECTORY = Path(tempfile.mkdtemp(prefix="vozbd-ui-files-"))
    from ui import runtime
    from ui.assets import local_assets, serve_local_html

    runtime.configure(services)
    serve_local_html(font=local_assets(root))  # the page loads nothing from another host
    return str(APP_FILE)


def _load_app(services: UIServices) -> None:
    from chainlit.config import config, load_module

    from ui.auth import install_auth
    from ui.history import install_history

    config.run.module_name = str(APP_FILE)
    load_module(config.run.module_name)
    install_auth(services.config)
    install_history(services)


def configure_logging(log_level: str) -> None:
    logging.basicConfig(
        level=log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("vozbd").setLevel(log_level)
    # Chainlit announces every default translation file it writes on first start: keep its INFO chatter out
    # of the user's terminal (vozbd prints the URL itself); DEBUG shows everything.
    if log_level != "DEBUG":
        logging.getLogger("chainlit").setLevel(logging.WARNING)


def serve(
    services: UIServices,
    *,
    host: str,
    port: int,
    open_browser: bool,
    wrap: Callable[[Any], Any] | None = None,
    tls: Any = None,
) -> None:
    """Run the chat on ``host:port`` (blocking); ``wrap`` adds the server's outer ASGI guard; ``tls``
    (``vozbd.tls.TlsFiles``) serves HTTPS."""
    prepare(services)
    import asyncio

    import uvicorn
    from chainlit.auth import ensure_jwt_secret
    from chainlit.config import config

    config.run.host = host
    config.run.port = port
    config.run.headless = not open_browser
    from chainlit.server import app

    _load_app(services)
    ensure_jwt_secret()
    served = wrap(app) if wrap is not None else app
    config_ = uvicorn.Config(
        served,
        host=host,
        port=port,
        log_level="warning",
        ws="auto",
        ssl_certfile=str(tls.cert) if tls is not None else None,
        ssl_keyfile=str(tls.key) if tls is not None else None,
    )
    server = uvicorn.Server(config_)
    asyncio.run(server.serve())
