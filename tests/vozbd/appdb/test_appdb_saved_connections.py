"""Saved connections in the app database's ``saved_connections`` table (PostgreSQL app database: shared by
replicas): the registry's add/list/get/url_for/remove behave as with the file, passwords stay encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from tools.db.registry import ConnectionRegistry, RegistryError, SecretKeyError, saved_connections
from tools.db.transport import SshOptions
from tools.errors import InvalidInputError, UnknownConnectionError
from vozbd.appdb.database import AppDatabase
from vozbd.settings import Settings
from vozbd.wiring import build_tool_context

SECRET = "s3nha-do-banco"
URL = f"postgresql+psycopg://leitor:{SECRET}@db.example:5432/vendas"


def _registry(app_db: AppDatabase, key: str, tmp_path: Path) -> ConnectionRegistry:
    return ConnectionRegistry(tmp_path / "unused.sqlite3", secret_key=key, database=lambda: app_db.engine)


def test_two_registries_on_one_table_see_each_others_adds_and_deletes(app_db: AppDatabase, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    a, b = _registry(app_db, key, tmp_path / "a"), _registry(app_db, key, tmp_path / "b")
    assert a.shared and b.shared
    a.add("vendas", URL)
    ssh = SshOptions(host="bastion.example", port=2222, username="ops", key_file=tmp_path / "id")
    a.add("remoto", "mysql+pymysql://u@10.0.0.5/loja", ssh=ssh)
    assert [c.name for c in b.list()] == ["remoto", "vendas"] and b.names() == ["remoto", "vendas"]
    assert b.get("vendas").masked_url == "postgresql+psycopg://leitor:***@db.example:5432/vendas"
    assert b.url_for("vendas").password == SECRET  # decrypted with the shared key
    assert b.ssh_for("remoto") == ssh and b.ssh_for("vendas") is None
    with pytest.raises(InvalidInputError, match="Já existe"):
        b.add("vendas", URL)
    with app_db.engine.connect() as db:
        stored = db.execute(select(saved_connections)).mappings().all()
    assert all(SECRET not in str(dict(row)) for row in stored)  # only the Fernet token, never the password
    b.remove("vendas")
    assert a.names() == ["remoto"] and not (tmp_path / "a" / "unused.sqlite3").exists()
    with pytest.raises(UnknownConnectionError):
        a.url_for("vendas")
    with pytest.raises(UnknownConnectionError):
        a.remove("vendas")


def test_another_key_cannot_read_the_shared_passwords(app_db: AppDatabase, tmp_path: Path) -> None:
    _registry(app_db, Fernet.generate_key().decode(), tmp_path).add("vendas", URL)
    other = _registry(app_db, Fernet.generate_key().decode(), tmp_path)
    assert other.names() == ["vendas"]
    with pytest.raises(SecretKeyError, match="chave secreta mudou"):
        other.url_for("vendas")


def test_unreachable_database_is_a_registry_error_and_is_retried(tmp_path: Path) -> None:
    calls: list[int] = []

    def unreachable() -> object:
        calls.append(1)
        raise RegistryError("Não foi possível abrir o banco do aplicativo.")

    registry = ConnectionRegistry(tmp_path / "r.sqlite3", secret_key=None, database=unreachable)  # type: ignore[arg-type]  # an opener that always fails
    for _ in range(2):
        with pytest.raises(RegistryError):
            registry.names()
    assert len(calls) == 2  # a failed open is not cached: the next call tries again


def test_wiring_uses_the_app_database_only_when_it_is_postgresql(fresh_pg_url: str, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    local = build_tool_context(Settings(data_dir=tmp_path / "one", secret_key=key))
    assert not local.registry.shared
    shared = build_tool_context(Settings(data_dir=tmp_path / "two", secret_key=key, database_url=fresh_pg_url))
    other = build_tool_context(Settings(data_dir=tmp_path / "three", secret_key=key, database_url=fresh_pg_url))
    assert shared.registry.shared
    shared.registry.add("vendas", URL)  # the app database is migrated on first use
    assert other.registry.url_for("vendas").password == SECRET
    assert local.registry.names() == []
