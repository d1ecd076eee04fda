"""Everything the chat page loads is served by vozbd itself: no font, stylesheet or preconnect to another host.

Chainlit's ``index.html`` asks Google Fonts for Inter (with two ``preconnect`` links, which open connections by
themselves) and a CDN for KaTeX's stylesheet. ``local_assets(root)`` puts the Inter font — from the
``fontpkg-inter`` package (SIL Open Font License, copied next to it) — into the app root's ``public/fonts``, which
Chainlit serves at ``/public``; ``serve_local_html()`` wraps Chainlit's page builder so the page links that copy
instead and no tag points off the machine. KaTeX's stylesheet is dropped: LaTeX rendering is off in
``ui/.chainlit/config.toml`` (``latex = false``), so nothing uses it.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

FONT_PACKAGE = "fontpkg_inter"
FONT_FILES = {"Inter[opsz,wght].ttf": "Inter.ttf", "Inter-Italic[opsz,wght].ttf": "Inter-Italic.ttf"}
FONT_CSS = """/* Inter (SIL Open Font License 1.1, see LICENSE-Inter.txt), from the fontpkg-inter package. */
@font-face {
  font-family: "Inter";
  font-style: normal;
  font-weight: 100 900;
  font-display: swap;
  src: url("./Inter.ttf") format("truetype");
}
@font-face {
  font-family: "Inter";
  font-style: italic;
  font-weight: 100 900;
  font-display: swap;
  src: url("./Inter-Italic.ttf") format("truetype");
}
"""
FONT_STYLESHEET = "/public/fonts/inter.css"

_FONT_BLOCK = re.compile(r"<!-- FONT START -->.*?<!-- FONT END -->", re.DOTALL)
_REMOTE_TAG = re.compile(
    r"<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*[\"'](?:https?:)?//[^>]*>(?:\s*</script>)?", re.IGNORECASE
)
_REMOTE_META = re.compile(r"<meta\b[^>]*\bcontent\s*=\s*[\"']https?://[^>]*>", re.IGNORECASE)
"""Chainlit's Open Graph image and URL (its own banner and repository): nothing fetches them, but a page served
from a private network has no business naming them."""


def local_assets(root: Path) -> bool:
    """Copy the Inter font, its license and ``inter.css`` into ``root/public/fonts``; False when the font package
    is not installed (the page then falls back to the system's sans-serif)."""
    try:
        package = resources.files(FONT_PACKAGE)
    except ModuleNotFoundError:
        log.warning("%s is not installed: the chat uses the system font (pip install fontpkg-inter)", FONT_PACKAGE)
        return False
    target = root / "public" / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for source_name, target_name in FONT_FILES.items():
        source = package / "files" / source_name
        destination = target / target_name
        if not destination.is_file() or destination.stat().st_size != len(source.read_bytes()):
            with resources.as_file(source) as path:
                shutil.copyfile(path, destination)
    (target / "LICENSE-Inter.txt").write_bytes((package / "LICENSE").read_bytes())
    (target / "inter.css").write_text(FONT_CSS, encoding="utf-8")
    return True


def localize_html(content: str, root_path: str = "", *, font: bool = True) -> str:
    """Chainlit's page with the remote font block replaced by the local stylesheet and every other tag that loads
    from another host (preconnects, the KaTeX stylesheet, scripts) removed."""
    link = f'<link rel="stylesheet" href="{root_path.rstrip("/")}{FONT_STYLESHEET}" />' if font else ""
    content = _FONT_BLOCK.sub(lambda _: link, content)
    content = _REMOTE_META.sub("", _REMOTE_TAG.sub("", content))
    return content.replace('<html lang="en">', '<html lang="pt-BR">', 1)


def serve_local_html(font: bool = True) -> None:
    """Make Chainlit's index page local (idempotent). Chainlit's routes look ``get_html_template`` up in its
    server module at each request, so wrapping it there covers ``vozbd ui`` and ``vozbd serve`` alike."""
    import chainlit.server as server

    original: Callable[[str], str] = server.get_html_template
    if getattr(original, "vozbd_local", False):
        return

    def get_html_template(root_path: str) -> str:
        return localize_html(original(root_path), root_path, font=font)

    get_html_template.vozbd_local = True  # type: ignore[attr-defined]  # a marker attribute on Chainlit's function (functions take attributes)
    server.get_html_template = get_html_template
