"""/api/v1/connections: list/add/test/delete with write-only passwords; schema and safe-query by name."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.vozbd.api.conftest import ANA, BIA

SECRET = "senha-secreta-do-banco"


def test_add_list_test_query_delete_on_postgres(keyed: TestClient, demo_pg_url: str) -> None:
    url = demo_pg_url.replace("://postgres@", f"://postgres:{SECRET}@")
    added = keyed.post("/api/v1/connections", json={"name": "loja_pg", "url": url}, headers=ANA)
    assert added.status_code == 201, added.text
    assert SECRET not in added.text and added.json()["dialect"] == "postgres"
    listing = keyed.get("/api/v1/connections", headers=ANA)
    assert SECRET not in listing.text
    assert [c["name"] for c in listing.json()] == ["demo", "loja_pg"]
    test = keyed.post("/api/v1/connections/loja_pg/test", headers=ANA).json()
    assert test["ok"] is True and "PostgreSQL" in test["server_version"]
    schema = keyed.get("/api/v1/connections/loja_pg/schema", params={"tables": "clientes"}, headers=ANA)
    assert schema.status_code == 200 and "clientes" in schema.text
    rows = keyed.post(
        "/api/v1/connections/loja_pg/query", json={"sql": "SELECT COUNT(*) FROM clientes"}, headers=ANA
    ).json()
    assert rows["rows"][0][0] > 0 and rows["dialect"] == "postgres"
    assert keyed.delete("/api/v1/connections/loja_pg", headers=ANA).status_code == 204
    assert keyed.delete("/api/v1/connections/loja_pg", headers=ANA).status_code == 404


def test_password_given_apart_is_write_only(keyed: TestClient, demo_pg_url: str) -> None:
    body = {"name": "pg2", "url": demo_pg_url, "password": SECRET}
    assert keyed.post("/api/v1/connections", json=body, headers=ANA).status_code == 201
    assert SECRET not in keyed.get("/api/v1/connections", headers=ANA).text


def test_duplicate_and_bad_urls_are_4xx(client: TestClient) -> None:
    assert client.post("/api/v1/connections", json={"name": "x", "url": "nao-e-url"}).status_code == 422
    assert client.post("/api/v1/connections", json={"name": "demo", "url": "sqlite:///a.db"}).status_code == 422


def test_a_name_already_saved_is_409_and_the_saved_one_is_kept(client: TestClient, tmp_path) -> None:
    first = {"name": "copia", "url": f"sqlite:///{tmp_path / 'a.db'}"}
    assert client.post("/api/v1/connections", json=first).status_code == 201
    again = client.post("/api/v1/connections", json={"name": "copia", "url": f"sqlite:///{tmp_path / 'b.db'}"})
    assert again.status_code == 409  # was 422 invalid_input
    assert again.json()["code"] == "connection_exists" and "Já existe" in again.json()["message"]
    (saved,) = [c for c in client.get("/api/v1/connections").json() if c["name"] == "copia"]
    assert saved["masked_url"].endswith("a.db")


def test_the_demo_database_cannot_be_removed(client: TestClient) -> None:
    response = client.delete("/api/v1/connections/demo")
    assert response.status_code == 422  # was 404 "Conexão 'demo' não encontrada ... (além de 'demo')"
    assert "embutido e não pode ser removido" in response.json()["message"]
    assert client.post("/api/v1/connections/demo/test").json()["ok"] is True


def test_query_refusal_and_database_errors(client: TestClient) -> None:
    refused = client.post("/api/v1/connections/demo/query", json={"sql": "UPDATE clientes SET nome = 'x'"})
    assert refused.status_code == 403 and refused.json()["code"] == "unsafe_query"
    missing = client.post("/api/v1/connections/demo/query", json={"sql": "SELECT * FROM nada"})
    assert missing.status_code == 422 and missing.json()["code"] == "database_error"
    capped = client.post("/api/v1/connections/demo/query", json={"sql": "SELECT * FROM clientes", "max_rows": 3})
    assert capped.json()["row_count"] == 3 and capped.json()["truncated"] is True


def test_privileged_login_is_refused_and_not_kept(keyed: TestClient, demo_pg_url: str) -> None:
    tool_ctx = keyed.app.state.api.tool_ctx  # type: ignore[attr-defined]  # tool results are typed as BaseModel; this one has the field
    tool_ctx.allow_privileged = False  # the process-wide opt-out the other tests use
    try:
        refused = keyed.post("/api/v1/connections", json={"name": "admin_pg", "url": demo_pg_url}, headers=ANA)
        assert refused.status_code == 422 and "privilégios demais" in refused.text
        assert "admin_pg" not in [c["name"] for c in keyed.get("/api/v1/connections", headers=ANA).json()]
    finally:
        tool_ctx.allow_privileged = True


def test_end_user_key_cannot_add_a_url(keyed: TestClient, demo_pg_url: str) -> None:
    refused = keyed.post("/api/v1/connections", json={"name": "x_pg", "url": demo_pg_url}, headers=BIA)
    assert refused.status_code == 403
