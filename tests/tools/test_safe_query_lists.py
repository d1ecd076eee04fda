"""Every sqlglot class name the read-only validator lists (allow and deny lists) resolves in the installed sqlglot.

The lists are built with ``_classes("Name", ...)``, which skips a name that does not resolve: after a sqlglot
upgrade a renamed node would silently leave a deny-list (fail open) or an allowlist. This test reads every such
call in ``tools/`` with ``ast`` (so it covers lists added later) and fails on any name that is not a node class.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlglot import exp

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def listed_names() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TOOLS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_classes":
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.append((f"{path.relative_to(TOOLS.parent)}:{node.lineno}", arg.value))
    return found


def test_the_lists_are_found() -> None:
    names = {name for _, name in listed_names()}
    assert {"Select", "Insert", "Drop", "Command"} <= names  # allowlist, deny (write) and command lists


def test_every_listed_name_is_a_sqlglot_node_class() -> None:
    missing = [
        f"{where}: exp.{name}"
        for where, name in listed_names()
        if not (isinstance(getattr(exp, name, None), type) and issubclass(getattr(exp, name), exp.Expr))
    ]
    assert not missing, f"sqlglot node classes that no longer exist: {missing}"
