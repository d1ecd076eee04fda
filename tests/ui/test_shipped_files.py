"""The chat's own files reach an installed (non-editable) vozbd: `pipx install ".[ui]"`, the Docker image.

``ui/launch.py`` copies ``SHIPPED`` into Chainlit's app root at every start and skips a file it cannot find, so a
wheel without them starts fine but serves Chainlit's English labels and default config and no result-table element
(a wheel built from a clean checkout lacked ``.chainlit/`` and ``public/elements/``: ``.chainlit`` is no package
name, and ``*.jsx`` matched no pattern). Each shipped file must be named by the ``ui`` package-data patterns.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ui.launch import SHIPPED, UI_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_ui_file_exists_and_is_package_data() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]
    patterns = [*package_data["*"], *package_data.get("ui", [])]  # as setuptools reads them for the package ui
    declared = {path.relative_to(UI_DIR).as_posix() for pattern in patterns for path in UI_DIR.glob(pattern)}
    for relative in SHIPPED:
        assert (UI_DIR / relative).is_file(), relative
    assert sorted(set(SHIPPED) - declared) == []
