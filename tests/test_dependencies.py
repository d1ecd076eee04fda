"""Dependencies are honest: every third-party import of the packages is declared in pyproject.toml, and
requirements.lock pins every declared dependency (``make lock`` after changing pyproject.toml)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("vozbd_core", "tools", "agent", "mcp_server", "ui", "evals", "vozbd")
NOT_INSTALLED_HERE = {"TTS": "coqui-tts"}  # the optional Coqui extra (torch) is not installed for the tests


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra if not r.startswith("vozbd")}
    return names


def third_party_imports() -> dict[str, str]:
    """top-level module → first ``file:line`` importing it (stdlib and project packages excluded)."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in PACKAGES and top != "__future__":
                        found.setdefault(top, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_import_is_declared() -> None:
    distributions = packages_distributions()
    names = declared()
    undeclared = []
    for module, where in sorted(third_party_imports().items()):
        candidates = [d.lower().replace("_", "-") for d in distributions.get(module, [])]
        candidates += [NOT_INSTALLED_HERE[module]] if module in NOT_INSTALLED_HERE else []
        if not candidates:
            undeclared.append(f"{module} ({where}): not installed, so not declared anywhere")
        elif not set(candidates) & names:
            undeclared.append(f"{module} ({where}): from {candidates}, missing in pyproject.toml")
    assert not undeclared, undeclared


def test_lock_pins_every_declared_dependency() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {_name(line) for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    coqui = {"coqui-tts", "torch", "torchaudio", "torchcodec", "six"}  # the optional extra is not locked
    missing = sorted(declared() - pinned - coqui)
    assert not missing, f"run `make lock`: {missing} are in pyproject.toml but not in requirements.lock"
