"""The import graph, read from the source with ``ast`` (every import, including lazy and TYPE_CHECKING ones).

- ``tools/`` imports no other vozbd package (only the neutral ``vozbd_core``);
- ``agent/`` imports nothing from ``vozbd/``, ``ui/``, ``mcp_server/``, ``evals/``;
- ``vozbd_core/`` imports nothing from the project;
- the packages form no cycle (surfaces depend on the composition root's products, never the other way round).

``__main__`` modules are entry points (like the CLI) and are exempt.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("vozbd_core", "tools", "agent", "mcp_server", "ui", "evals", "vozbd")

FORBIDDEN: dict[str, set[str]] = {
    "vozbd_core": set(PACKAGES) - {"vozbd_core"},
    "tools": set(PACKAGES) - {"tools", "vozbd_core"},
    "agent": {"vozbd", "ui", "mcp_server", "evals"},
    "mcp_server": {"vozbd", "ui", "evals"},
    "ui": {"vozbd", "mcp_server", "evals"},
    "evals": {"vozbd", "ui", "mcp_server"},
}


def _modules(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.name != "__main__.py":
            yield path


def _imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package → imported project package → ["file:line", ...]."""
    graph: dict[str, dict[str, list[str]]] = {package: {} for package in PACKAGES}
    for package in PACKAGES:
        for path in _modules(package):
            for line, imported in _imported_packages(path):
                if imported in PACKAGES and imported != package:
                    where = f"{path.relative_to(ROOT)}:{line}"
                    graph[package].setdefault(imported, []).append(where)
    return graph


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_inward(package: str) -> None:
    edges = package_graph()[package]
    wrong = {target: places for target, places in edges.items() if target in FORBIDDEN[package]}
    assert not wrong, f"{package} imports {wrong}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = "open", stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node], _ = "done", stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_packages_form_no_cycle() -> None:
    graph = {package: set(edges) for package, edges in package_graph().items()}
    cycle = _cycle(graph)
    detail = {f"{a}->{b}": package_graph()[a][b][:3] for a, b in itertools.pairwise(cycle)} if cycle else {}
    assert cycle is None, f"import cycle {' -> '.join(cycle or [])}: {detail}"


def test_the_cycle_detector_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from vozbd.settings import Settings\n"
        "def f():\n    import ui.runtime\n    from . import sibling\n",
        encoding="utf-8",
    )
    assert [name for _, name in _imported_packages(source)] == ["typing", "vozbd", "ui"]


def test_only_the_composition_root_reads_settings() -> None:
    """``vozbd.settings`` is imported by ``vozbd/`` modules only; ``Settings()`` is built in ``vozbd/wiring.py``."""
    readers = []
    for package in PACKAGES:
        for path in _modules(package):
            text = path.read_text(encoding="utf-8")
            relative = str(path.relative_to(ROOT))
            if "vozbd.settings" in text and package != "vozbd":
                readers.append(relative)
            if "Settings(" in text and relative not in ("vozbd/wiring.py", "vozbd/settings.py"):
                tree = ast.parse(text)
                calls = [
                    n
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Settings"
                ]
                if calls:
                    readers.append(f"{relative} builds Settings()")
    assert not readers, readers


ENVIRONMENT_READERS: dict[str, str] = {
    "vozbd/settings.py": "where the config file is, before Settings exists (VOZBD_CONFIG_FILE / VOZBD_DATA_DIR)",
    "vozbd/connections_config.py": "passwords from the env var each [connections.NAME] declares (password_env)",
    "vozbd/telemetry.py": "the opt-outs of every dependency's telemetry, set once at start-up",
    "ui/auth.py": "Chainlit reads its JWT secret (CHAINLIT_AUTH_SECRET) from the environment",
    "ui/launch.py": "Chainlit reads its app root (CHAINLIT_APP_ROOT) from the environment",
    "vozbd/server.py": "serve --workers: the command line to the spawned workers, prometheus multiprocess folder",
}
"""The only modules that touch ``os.environ`` / ``os.getenv`` (and why). Provider keys are declared settings."""


def _environment_uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "environb")) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & {"environ", "getenv"}
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_listed_modules_touch_the_environment() -> None:
    """No provider key (or anything else) is read from ``os.environ`` behind the settings' back."""
    readers = {
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES
        for path in _modules(package)
        for line in _environment_uses(path)
        if str(path.relative_to(ROOT)) not in ENVIRONMENT_READERS
    }
    assert not readers, f"environment read outside the settings: {sorted(readers)}"


def test_the_environment_check_sees_every_form(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import os\nfrom os import getenv\nos.environ.get('OPENAI_API_KEY')\nos.getenv('X')\n", encoding="utf-8"
    )
    assert _environment_uses(source) == [2, 3, 4]
