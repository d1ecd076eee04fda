"""ConnectionRegistry: encrypted round trip, key file handling, names, errors, no password leaks."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tools.db.registry import ConnectionRegistry, RegistryError, SecretKeyError
from tools.errors import InvalidInputError, UnknownConnectionError

PASSWORD = "Pa$$w0rd-Ultra-Secreta"
URL = f"postgresql://app:{PASSWORD}@db.example.com:5432/vendas"


@pytest.fixture
def registry(tmp_path: Path) -> ConnectionRegistry:
    return ConnectionRegistry(tmp_path / "reg" / "connections.sqlite3", key_file=tmp_path / "keys" / "secret.key")


def test_round_trip_decrypts_the_password(registry: ConnectionRegistry) -> None:
    info = registry.add("vendas", URL)
    assert info.name == "vendas" and info.dialect == "postgres" and not info.is_demo
    assert info.masked_url == "postgresql+psycopg://app:***@db.example.com:5432/vendas"
    url = registry.url_for("vendas")
    assert url.password == PASSWORD
    expected = ("postgresql+psycopg", "db.example.com", 5432, "vendas")
    assert (url.drivername, url.host, url.port, url.database) == expected
    assert registry.get("vendas") == info
    assert registry.list() == [info]


def test_connection_without_password(registry: ConnectionRegistry) -> None:
    registry.add("local", "mysql://root@127.0.0.1:3306/test")
    assert registry.url_for("local").password is None
    assert registry.get("local").masked_url == "mysql+pymysql://root@127.0.0.1:3306/test"


def test_survives_a_new_instance_with_the_same_key_file(tmp_path: Path) -> None:
    ConnectionRegistry(tmp_path / "r.sqlite3", key_file=tmp_path / "k.key").add("vendas", URL)
    again = ConnectionRegistry(tmp_path / "r.sqlite3", key_file=tmp_path / "k.key")
    assert again.url_for("vendas").password == PASSWORD


def test_key_file_is_created_0600_in_a_0700_dir(registry: ConnectionRegistry, tmp_path: Path) -> None:
    registry.add("vendas", URL)
    key_file = tmp_path / "keys" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    Fernet(key_file.read_bytes().strip())  # a valid Fernet key
    assert stat.S_IMODE(registry.path.stat().st_mode) == 0o600


def test_loose_key_file_mode_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(Fernet.generate_key())
    key_file.chmod(0o644)
    registry = ConnectionRegistry(tmp_path / "r.sqlite3", key_file=key_file)
    with caplog.at_level(logging.WARNING, logger="tools.db.registry"):
        registry.add("vendas", URL)
    assert any("chmod 600" in r.getMessage() for r in caplog.records)


def test_stored_bytes_do_not_contain_the_password(registry: ConnectionRegistry) -> None:
    registry.add("vendas", URL)
    raw = registry.path.read_bytes()
    assert PASSWORD.encode() not in raw
    assert b"Ultra-Secreta" not in raw
    assert b"db.example.com" in raw  # the rest of the URL is stored in clear


def test_explicit_secret_key_and_wrong_key_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    ConnectionRegistry(path, secret_key=Fernet.generate_key().decode()).add("vendas", URL)
    other = ConnectionRegistry(path, secret_key=Fernet.generate_key().decode())
    assert other.get("vendas").name == "vendas"  # metadata still readable
    with pytest.raises(SecretKeyError) as info:
        other.url_for("vendas")
    assert "chave secreta mudou" in info.value.message
    assert PASSWORD not in info.value.message


def test_invalid_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="inválida"):
        ConnectionRegistry(tmp_path / "r.sqlite3", secret_key="not-a-fernet-key").add("vendas", URL)


def test_duplicate_name(registry: ConnectionRegistry) -> None:
    registry.add("vendas", URL)
    with pytest.raises(InvalidInputError, match="Já existe"):
        registry.add("vendas", "sqlite:////tmp/x.sqlite")


def test_remove_and_unknown_names(registry: ConnectionRegistry) -> None:
    registry.add("vendas", URL)
    registry.add("estoque", "mysql://root@h/estoque")
    registry.remove("vendas")
    assert [c.name for c in registry.list()] == ["estoque"]
    for call in (registry.remove, registry.get, registry.url_for):
        with pytest.raises(UnknownConnectionError) as info:
            call("vendas")
        assert "estoque" in info.value.message
        assert info.value.detail["saved"] == ["estoque"]


@pytest.mark.parametrize("name", ["demo", "", "Vendas", "com espaço", "a" * 65, "ação", "x;drop"])
def test_invalid_or_reserved_names(registry: ConnectionRegistry, name: str) -> None:
    with pytest.raises(InvalidInputError):
        registry.add(name, URL)
    assert registry.list() == []


def test_bad_url_is_not_saved(registry: ConnectionRegistry) -> None:
    with pytest.raises(InvalidInputError):
        registry.add("vendas", "mongodb://h/db")
    assert registry.list() == []


def test_no_password_in_log_records(registry: ConnectionRegistry, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        registry.add("vendas", URL)
        registry.url_for("vendas")
        registry.list()
        registry.remove("vendas")
    assert caplog.records  # the registry does log its actions
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)


def test_unusable_registry_file_is_a_clear_error(tmp_path: Path) -> None:
    not_sqlite = tmp_path / "registry.sqlite3"
    not_sqlite.write_text("isto não é um banco SQLite " * 100)
    with pytest.raises(RegistryError, match="arquivo de conexões"):
        ConnectionRegistry(not_sqlite, secret_key=Fernet.generate_key().decode()).list()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RegistryError):
        ConnectionRegistry(blocker / "sub" / "r.sqlite3", secret_key=Fernet.generate_key().decode()).list()


def test_a_registry_of_an_older_version_gains_the_ssh_column(tmp_path: Path) -> None:
    import sqlite3

    from tools.db.transport import SshOptions

    path = tmp_path / "antigo.sqlite3"
    with sqlite3.connect(path) as db:  # the first release's table: no allow_privileged, no ssh
        db.execute(
            "CREATE TABLE connections (name TEXT PRIMARY KEY, dialect TEXT NOT NULL, url TEXT NOT NULL, "
            "password_token TEXT, created_at TEXT NOT NULL DEFAULT (datetime('now')))"
        )
        db.execute("INSERT INTO connections(name, dialect, url) VALUES ('velha', 'postgres', 'postgresql://u@h/db')")
    db.close()
    registry = ConnectionRegistry(path, secret_key=Fernet.generate_key().decode())
    assert registry.ssh_for("velha") is None and not registry.get("velha").allow_privileged
    ssh = SshOptions(host="bastiao", port=2222, username="deploy", key_file=tmp_path / "id", known_hosts=None)
    registry.add("nova", "postgresql://leitor@127.0.0.1/vendas", ssh=ssh)
    assert registry.ssh_for("nova") == ssh
    saved = registry.saved("nova")
    assert (saved.ssh, saved.allow_privileged, saved.url.host) == (ssh, False, "127.0.0.1")
    with pytest.raises(InvalidInputError):
        registry.add("senha", "postgresql://l@h/db", ssh=SshOptions(host="bastiao", password="segredo"))
    assert "senha" not in registry.names()
    with sqlite3.connect(path) as db:
        stored = db.execute("SELECT ssh FROM connections WHERE name = 'nova'").fetchone()[0]
    db.close()
    assert "bastiao" in stored and "password" not in stored
