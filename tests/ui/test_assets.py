"""The chat page loads nothing from another host: Chainlit's real index.html, rewritten, and the local font."""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path

from ui.assets import FONT_STYLESHEET, local_assets, localize_html

REMOTE = re.compile(r"""(?:href|src)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def chainlit_index() -> str:
    spec = find_spec("chainlit")
    assert spec is not None and spec.origin is not None
    return (Path(spec.origin).parent / "frontend" / "dist" / "index.html").read_text(encoding="utf-8")


def test_chainlit_page_points_off_the_machine_before_and_not_after() -> None:
    original = chainlit_index()
    assert REMOTE.search(original), "Chainlit's page no longer loads remote assets: revisit ui/assets.py"
    original = original.replace(
        "<!-- TAG INJECTION PLACEHOLDER -->", '<meta property="og:image" content="https://x/y.png">'
    )
    local = localize_html(original, "/chat")
    assert not REMOTE.search(local), [m.group(0) for m in REMOTE.finditer(local)]
    assert "preconnect" not in local and "katex" not in local and "https://" not in local
    assert '<html lang="pt-BR">' in local
    assert f'href="/chat{FONT_STYLESHEET}"' in local
    assert '<script type="module" crossorigin src="/assets/' in local  # Chainlit's own bundle is kept


def test_without_the_font_package_no_font_link_and_still_local() -> None:
    local = localize_html(chainlit_index(), font=False)
    assert not REMOTE.search(local) and "fonts/inter.css" not in local


def test_local_font_files_and_license(tmp_path: Path) -> None:
    assert local_assets(tmp_path) is True
    fonts = tmp_path / "public" / "fonts"
    css = (fonts / "inter.css").read_text(encoding="utf-8")
    assert 'font-family: "Inter"' in css and "http" not in css.split("*/", 1)[1]
    assert (fonts / "Inter.ttf").read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert (fonts / "Inter-Italic.ttf").stat().st_size > 100_000
    assert "SIL Open Font License" in (fonts / "LICENSE-Inter.txt").read_text(encoding="utf-8")
    assert local_assets(tmp_path) is True  # idempotent
