"""``POST /api/v1/ask`` when the LLM provider fails: an error in the one shape with a status that says what failed
(503 unavailable, 504 timeout), the pt-BR apology as the message, and the turn still in the conversation log.

The provider is a real OpenAI-compatible HTTP server on this machine (langchain-openai and its SDK run for real)
that fails the way providers do."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.agent.llm.http_stub import QuietHandler, local_server, serving
from tests.vozbd.api.conftest import ANA, KEY_ANA


class FailingProvider(QuietHandler):
    """Lists one model; chat completions fail as ``mode`` says (``down``: 503, ``slow``: no answer in time)."""

    mode = "down"

    def do_GET(self) -> None:
        self.send_json({"object": "list", "data": [{"id": "m", "object": "model"}]})

    def do_POST(self) -> None:
        self.read_json()
        if self.mode == "slow":
            time.sleep(3)
            self.send_json({"error": {"message": "too late"}}, status=500)
        else:
            self.send_json({"error": {"message": "overloaded", "type": "server_error"}}, status=503)


@pytest.fixture
def provider() -> Iterator[tuple[type[FailingProvider], str]]:
    handler = type("Provider", (FailingProvider,), {})
    httpd, url = local_server(handler)
    with serving(httpd):
        yield handler, url + "/v1"


def _client(make_client: Callable[..., TestClient], url: str) -> TestClient:
    return make_client(
        model="openai-compatible/m", openai_compatible_base_url=url, llm_timeout_s=0.5, api_keys=[KEY_ANA]
    )


@pytest.mark.parametrize(
    ("mode", "status", "reason", "said"),
    [("down", 503, "server_error", "problemas"), ("slow", 504, "timeout", "demorou demais")],
)
def test_a_failing_provider_is_an_error_status_and_the_turn_is_logged(
    make_client: Callable[..., TestClient],
    provider: tuple[type[FailingProvider], str],
    mode: str,
    status: int,
    reason: str,
    said: str,
) -> None:
    handler, url = provider
    handler.mode = mode
    client = _client(make_client, url)
    response = client.post(
        "/api/v1/ask", json={"question": "Quantos clientes temos?", "conversation_id": "c1"}, headers=ANA
    )
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == "llm_error"
    assert said in body["message"]  # the pt-BR apology, with the reason
    assert body["detail"] == {"reason": reason, "conversation_id": "c1"}
    turns = client.get("/api/v1/conversations/c1", headers=ANA).json()["turns"]
    assert [(t["question"], t["error"]) for t in turns] == [("Quantos clientes temos?", "llm_error")]


def test_the_stream_still_ends_with_done_carrying_the_error(
    make_client: Callable[..., TestClient], provider: tuple[type[FailingProvider], str]
) -> None:
    _, url = provider  # the provider answers 503
    client = _client(make_client, url)
    headers = ANA | {"Accept": "text/event-stream"}
    with client.stream("POST", "/api/v1/ask", json={"question": "Quantos clientes temos?"}, headers=headers) as r:
        assert r.status_code == 200  # the header left before the provider failed
        text = "".join(r.iter_text())
    assert "event: done" in text and '"code": "llm_error"' in text
