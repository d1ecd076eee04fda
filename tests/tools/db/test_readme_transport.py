"""The README's SSH/TLS examples are valid as pasted: every TOML block declares connections the config model
accepts, and every `vozbd db add` URL passes the URL option allowlist."""

from __future__ import annotations

import itertools
import re
import shlex
import tomllib
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tools.db.registry import ConnectionRegistry
from tools.db.urls import parse_url
from vozbd.connections_config import ConnectionConfig, declare

README = Path(__file__).resolve().parents[3] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### SSH tunnels and TLS\n")
    return text[start : text.index("\n### ", start + 1)]


def test_toml_examples_declare_valid_connections(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", _section(), re.S)
    assert len(blocks) == 2
    registry = ConnectionRegistry(tmp_path / "r.sqlite3", secret_key=Fernet.generate_key().decode())
    registry.add("vendas", "mysql://leitor:senha-salva@10.0.0.12:3306/vendas")
    environ = {name: "x" for block in blocks for name in re.findall(r'_env = "(\w+)"', block)}
    for block in blocks:
        connections = {k: ConnectionConfig.model_validate(v) for k, v in tomllib.loads(block)["connections"].items()}
        declared, _ = declare(connections, registry, environ)
        assert set(declared) == set(connections)
        assert all(d.transport is not None for d in declared.values())


def test_db_add_examples_pass_the_url_allowlist() -> None:
    commands = [line for line in _section().splitlines() if line.startswith("vozbd db add ") and "--ssh" not in line]
    assert len(commands) == 3
    for command in commands:
        url = shlex.split(command)[4]
        parsed = parse_url(url)
        assert any(key.startswith("ssl") for key in parsed.query), url


def test_db_add_ssh_examples_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `--ssh` example is accepted by `db add` as written (its key/known-hosts files made to exist)."""
    from vozbd.cli.db import ssh_options

    monkeypatch.setenv("HOME", str(tmp_path))
    commands = [shlex.split(line) for line in _section().splitlines() if line.startswith("vozbd db add ")]
    commands = [words for words in commands if "--ssh" in words]
    assert len(commands) == 2
    for words in commands:
        parse_url(words[4])
        flags = dict(itertools.pairwise(words[5:]))
        for flag in ("--ssh-key", "--ssh-known-hosts"):
            if flag in flags:
                path = Path(flags[flag]).expanduser()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
        key, hosts = flags.get("--ssh-key"), flags.get("--ssh-known-hosts")
        options = ssh_options(flags["--ssh"], Path(key) if key else None, Path(hosts) if hosts else None)
        assert options is not None and options.host in flags["--ssh"]
