"""Saved connections across replicas, for real: two ``vozbd serve`` processes on one PostgreSQL app database
(each with its own data dir, the same VOZBD_SECRET_KEY). A connection added through the API of one is listed,
queried (its encrypted password decrypted) and deleted through the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from tests.vozbd.scaleout.servers import ApiKey, Server, server_env, start_server, stop_all
from vozbd.appdb.database import AppDatabase

pytestmark = pytest.mark.slow  # starts real server processes

SECRET = "senha-secreta-compartilhada"
ADMIN = ApiKey.new("adm")


@pytest.fixture(scope="module")
def pair(shared_pg_url: str, app_db: AppDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    tmp = tmp_path_factory.mktemp("shared-connections")
    env = server_env(
        tmp,
        database_url=shared_pg_url,
        keys=[ADMIN],
        api_admins=ADMIN.name,
        secret_key=Fernet.generate_key().decode(),
        allow_privileged="true",  # the test database's login is a superuser
    )
    servers: list[Server] = []
    try:
        servers.append(start_server("a", tmp, env))
        servers.append(start_server("b", tmp, env))
        yield servers
    finally:
        stop_all(servers)


def test_a_connection_added_on_one_replica_is_used_and_deleted_on_the_other(
    pair: list[Server], app_db: AppDatabase, demo_pg_url: str
) -> None:
    a, b = pair
    url = demo_pg_url.replace("://postgres@", f"://postgres:{SECRET}@")
    with a.client(headers=ADMIN.headers) as on_a, b.client(headers=ADMIN.headers) as on_b:
        added = on_a.post("/api/v1/connections", json={"name": "loja", "url": url})
        assert added.status_code == 201, added.text
        listed = on_b.get("/api/v1/connections")
        assert [c["name"] for c in listed.json()] == ["demo", "loja"] and SECRET not in listed.text
        rows = on_b.post("/api/v1/connections/loja/query", json={"sql": "SELECT COUNT(*) AS n FROM clientes"})
        assert rows.status_code == 200, rows.text
        assert rows.json()["rows"][0][0] > 0
        with app_db.engine.connect() as db:
            stored = db.execute(text("SELECT url, password_token FROM saved_connections")).all()
        assert len(stored) == 1 and SECRET not in str(stored[0]) and stored[0][1]
        assert on_b.delete("/api/v1/connections/loja").status_code == 204
        assert [c["name"] for c in on_a.get("/api/v1/connections").json()] == ["demo"]
        gone = on_a.post("/api/v1/connections/loja/query", json={"sql": "SELECT 1"})
        assert gone.status_code == 404, gone.text
    assert "VOZBD_SECRET_KEY is not set" not in a.log() + b.log()
