"""One error shape {code, message, detail} for every non-2xx answer of the API, FastAPI's defaults included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _shape(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_unknown_api_path_is_404_in_the_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nao-existe")
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_wrong_method_is_405_in_the_shape(client: TestClient) -> None:
    response = client.get("/api/v1/ask")
    assert response.status_code == 405
    assert _shape(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "oi", "extra": 1},
        {"question": "oi", "connection": "postgresql://u:p@h/db"},
        {"question": "oi", "conversation_id": "../../etc"},
    ],
)
def test_invalid_ask_bodies_are_422(client: TestClient, body: dict) -> None:
    response = client.post("/api/v1/ask", json=body)
    assert response.status_code == 422, response.text
    detail = _shape(response)["detail"]
    assert detail["errors"] and all("input" not in error for error in detail["errors"])


def test_a_blank_question_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"question": " \n\t "})
    assert response.status_code == 422  # was a 200 whose answer said "Não recebi nenhuma pergunta"
    assert "question (texto curto demais)" in _shape(response)["message"]


def test_empty_optional_fields_mean_not_given(client: TestClient) -> None:
    body = {"question": "quantos clientes", "conversation_id": "", "connection": "", "model": ""}
    response = client.post("/api/v1/ask", json=body)
    assert response.status_code == 200, response.text  # was 422 (conversation_id, connection) or 400 (model)
    answer = response.json()
    assert answer["conversation_id"] and answer["connection"] == "demo" and answer["answer"] == "Temos 600 clientes."


def test_validation_errors_never_echo_submitted_values(client: TestClient) -> None:
    secret = "s3nh4-que-nao-pode-vazar"
    response = client.post("/api/v1/connections", json={"name": "Ruim!", "url": f"postgresql://u:{secret}@h/db"})
    assert response.status_code == 422
    assert secret not in response.text


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/ask", content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    _shape(response)


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"[" * 100_000, "RecursionError"), (b'{"question": "\xff\xfe"}', "UnicodeDecodeError")],
)
def test_an_unreadable_body_is_400_saying_why(client: TestClient, body: bytes, reason: str) -> None:
    response = client.post("/api/v1/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    payload = _shape(response)
    assert payload["code"] == "invalid_body" and "UTF-8" in payload["message"]  # was "Requisição inválida."
    assert payload["detail"] == {"reason": reason}


def test_an_unreadable_multipart_form_is_400_saying_so(client: TestClient) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=XX"}
    response = client.post("/api/v1/transcribe", content=b"--XX\r\nsem fim", headers=headers)
    assert response.status_code == 400
    payload = _shape(response)
    assert payload["code"] == "invalid_body" and "multipart" in payload["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_json_route_refuses_another_content_type_with_415(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/api/v1/ask", content=b'{"question": "quantos clientes"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 415  # was 422 "deve ser um objeto JSON"
    payload = _shape(response)
    assert payload["code"] == "unsupported_media_type" and "application/json" in payload["message"]
    assert payload["detail"] == {"content_type": content_type}
    assert client.post("/api/v1/ask", json={"question": "quantos clientes"}).status_code == 200
    assert client.post("/api/v1/ask", json=[1]).status_code == 422  # JSON, but not an object: still the caller's


def test_tool_errors_use_the_shape(client: TestClient) -> None:
    response = client.post("/api/tools/run_query", json={"sql": "DROP TABLE clientes"})
    assert response.status_code == 403
    assert _shape(response)["code"] == "unsafe_query"
    assert "leitura" in response.json()["message"]


def test_unknown_connection_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/connections/nao_salva/schema")
    assert response.status_code == 404
    assert _shape(response)["code"] == "unknown_connection"


def test_model_outside_the_configured_ones_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"question": "oi", "model": "scripted//etc/passwd"})
    assert response.status_code == 400
    assert _shape(response)["code"] == "model_not_allowed"
    assert "passwd" not in response.json()["message"] or "scripted" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [("/api/v1/ask", {}, "question"), ("/api/tools/run_query", {}, "sql"), ("/api/v1/speak", {"voz": "x"}, "text")],
)
def test_missing_field_is_422_in_the_tool_error_shape_in_pt_br(
    client: TestClient, path: str, body: dict, field: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    payload = _shape(response)
    assert payload["code"] == "invalid_request"
    assert field in payload["message"] and "campo obrigatório ausente" in payload["message"]
    missing = [e for e in payload["detail"]["errors"] if e["type"] == "missing"]
    assert missing and missing[0]["field"] == field and missing[0]["msg"] == "campo obrigatório ausente"
    assert "Field required" not in response.text  # FastAPI's default (English) wording never reaches the client


def test_nested_and_extra_fields_are_named(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"question": "oi", "campo_extra": 1})
    assert response.status_code == 422
    payload = _shape(response)
    assert "campo_extra (campo não permitido)" in payload["message"]


def test_openapi_documents_422_with_the_error_shape_everywhere(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            schema = operation.get("responses", {}).get("422", {}).get("content", {}).get("application/json", {})
            if schema:
                assert schema["schema"]["$ref"].endswith("/ErrorBody"), (method, path)
    assert "HTTPValidationError" not in spec.get("components", {}).get("schemas", {})
