"""Mount the chat inside the FastAPI app of ``vozbd serve`` (Chainlit's own startup hooks do not run there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ui.config import UIServices


def mount_ui(app: FastAPI, services: UIServices, path: str = "/") -> None:
    """Serve the Chainlit chat at ``path`` of ``app``. Call before anything imports chainlit."""
    from ui.launch import prepare

    target = prepare(services)
    from chainlit.utils import mount_chainlit

    from ui.auth import install_auth

    mount_chainlit(app=app, target=target, path=path)
    install_auth(services.config)
