"""Every ``vozbd ... --help`` names what a value is (NAME, URL, PATH, SECONDS...), never a bare type.

Typer prints ``<str>``, ``<path>``, ``<int range>`` ... beside an option or argument without a metavar, and a type
after every flag; ``vozbd.cli.app`` hides the latter and every command declares a metavar for the former.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from vozbd.cli.app import app

TYPE_PLACEHOLDER = re.compile(
    r"<(?:str|int|float|bool|path|file|dir|text|[a-z]+ range|list\[[^\]]*\])>|\b(?:TEXT|INTEGER|FLOAT)\b"
)


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(get_command(app)))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=240, env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_reaches_every_command_group() -> None:
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "db add", "eval run", "examples add", "serve", "mcp", "models status"} <= paths
    assert len(paths) > 30


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda path: " ".join(path) or "vozbd")
def test_help_shows_no_type_placeholder(path: tuple[str, ...]) -> None:
    text = _help(path)
    found = sorted({match.group(0) for match in TYPE_PLACEHOLDER.finditer(text)})
    assert not found, f"vozbd {' '.join(path)} --help shows {found}:\n{text}"


@pytest.mark.parametrize(
    "path", [path for path, command in COMMANDS if command.params], ids=lambda path: " ".join(path) or "vozbd"
)
def test_every_value_parameter_declares_a_metavar(path: tuple[str, ...]) -> None:
    command = dict(COMMANDS)[path]
    unnamed = [
        param.name
        for param in command.params
        if not getattr(param, "is_flag", False) and param.name != "help" and not param.metavar
    ]
    assert not unnamed, f"vozbd {' '.join(path)}: give these a metavar (NAME, URL, PATH, SECONDS...): {unnamed}"


def test_the_placeholder_check_catches_typer_defaults() -> None:
    assert TYPE_PLACEHOLDER.search("│ --db   <str>  Connection")
    assert TYPE_PLACEHOLDER.search("│ --port <int range> [1<=x<=65535]")
    assert TYPE_PLACEHOLDER.search("│ --out  <path>  Folder")
    assert not TYPE_PLACEHOLDER.search("│ --db   NAME_OR_URL  Connection (default: DIR/<spider|bird>-<split>.yaml)")


def test_db_add_names_its_arguments_and_flags_take_no_type() -> None:
    text = _help(("db", "add"))
    assert re.search(r"\bNAME\s+Connection name", text) and re.search(r"\bURL\s+Database URL", text)
    assert re.search(r"--no-test\s+Save without", text)
