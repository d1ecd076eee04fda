"""Start the Chainlit chat from any directory: point Chainlit at ``ui/`` before it is imported, then serve.

``prepare(settings)`` must run before the first ``import chainlit`` (Chainlit reads its app root, config and
translations from ``CHAINLIT_APP_ROOT`` at import time). ``serve(...)`` is what ``vozbd ui`` runs;
``ui.mount.mount_ui`` reuses ``prepare`` for ``vozbd serve``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vozbd.settings import Settings

UI_DIR = Path(__file__).resolve().parent
APP_FILE = UI_DIR / "app.py"


def prepare(settings: Settings) -> str:
    """Set Chainlit's environment, hand ``settings`` to the UI and install auth; returns the app file path."""
    if "chainlit.config" in sys.modules:
        from chainlit.config import APP_ROOT

        if Path(APP_ROOT).resolve() != UI_DIR:
            raise RuntimeError(f"chainlit was imported with app root {APP_ROOT}; call ui.launch.prepare() first")
    os.environ["CHAINLIT_APP_ROOT"] = str(UI_DIR)
    import chainlit.config

    # Chainlit keeps session files in APP_ROOT/.files and deletes that whole folder on shutdown, which would
    # break any other `vozbd ui` started from the same install: give each process its own folder.
    chainlit.config.FILES_DIRECTORY = Path(tempfile.mkdtemp(prefix="vozbd-ui-files-"))
    from ui import runtime

    runtime.configure(settings)
    return str(APP_FILE)


def _load_app(settings: Settings) -> None:
    from chainlit.config import config, load_module

    from ui.auth import install_auth

    config.run.module_name = str(APP_FILE)
    load_module(config.run.module_name)
    install_auth(settings)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("vozbd").setLevel(settings.log_level)


def serve(settings: Settings, *, host: str, port: int, open_browser: bool) -> None:
    """Run the chat on ``host:port`` (blocking)."""
    prepare(settings)
    import asyncio

    import uvicorn
    from chainlit.auth import ensure_jwt_secret
    from chainlit.config import config

    config.run.host = host
    config.run.port = port
    config.run.headless = not open_browser
    from chainlit.server import app

    _load_app(settings)
    ensure_jwt_secret()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", ws="auto"))
    asyncio.run(server.serve())
