"""LLM failures are classified by exception type: each provider's real client against a local server that answers
with an HTTP error, and the SDK-free cases (transport errors, status-carrying errors, wrapped causes)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from langchain_core.language_models import BaseChatModel

from agent import prompts
from agent.llm.failures import LLMFailure, classify_llm_failure
from agent.llm.registry import load_chat_model
from tests.agent.llm.http_stub import QuietHandler, local_server, serving
from vozbd.settings import Settings
from vozbd.wiring import llm_config


class StatusServer:
    """Answers every POST with ``status`` and a provider-style JSON error body; GET lists an Ollama model."""

    def __init__(self) -> None:
        self.status = 500
        server = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.read_json()
                error = {"error": {"message": "refused", "code": server.status}}
                # retry-after: the SDKs' one retry (429) goes at once
                self.send_json(error, server.status, {"retry-after-ms": "1", "retry-after": "0"})

            def do_GET(self) -> None:  # Ollama's model list, probed before a model is built
                self.send_json({"models": [{"name": "qwen2.5:7b", "model": "qwen2.5:7b"}]})

        self.httpd, self.url = local_server(Handler)


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server = StatusServer()
    with serving(server.httpd):
        yield server


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _model(provider: str, url: str, monkeypatch: pytest.MonkeyPatch) -> BaseChatModel:
    if provider == "openai":
        return load_chat_model(
            "openai/gpt-4.1-mini", llm_config(Settings(openai_base_url=url + "/v1", openai_api_key="k"))
        )
    if provider == "gemini":
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url + "/")
        return load_chat_model("gemini/gemini-2.5-flash", llm_config(Settings(gemini_api_key="k")))
    return load_chat_model("ollama/qwen2.5:7b", llm_config(Settings(ollama_base_url=url)))


async def _failure_of(model: BaseChatModel) -> LLMFailure:
    with pytest.raises(Exception) as info:  # any provider error: the classification is under test
        async for _ in model.astream("oi"):
            pass
    return classify_llm_failure(info.value)


@pytest.mark.parametrize("provider", ["openai", "gemini", "ollama"])
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, LLMFailure.AUTHENTICATION),
        (403, LLMFailure.PERMISSION_DENIED),
        (404, LLMFailure.NOT_FOUND),
        (429, LLMFailure.RATE_LIMIT),
    ],
)
async def test_http_errors_of_each_provider(
    provider: str,
    status: int,
    expected: LLMFailure,
    status_server: StatusServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status_server.status = status
    assert await _failure_of(_model(provider, status_server.url, monkeypatch)) is expected


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_server_is_a_connection_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # (Ollama is probed when the model is built and raises the typed ProviderUnreachableError there.)
    model = _model("openai", f"http://127.0.0.1:{_closed_port()}", monkeypatch)
    assert await _failure_of(model) is LLMFailure.CONNECTION


def test_transport_and_builtin_errors() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/x")
    assert classify_llm_failure(httpx.ReadTimeout("slow", request=request)) is LLMFailure.TIMEOUT
    assert classify_llm_failure(httpx.ConnectError("refused", request=request)) is LLMFailure.CONNECTION
    assert classify_llm_failure(TimeoutError()) is LLMFailure.TIMEOUT
    assert classify_llm_failure(ConnectionRefusedError()) is LLMFailure.CONNECTION
    response = httpx.Response(503, request=request)
    status_error = httpx.HTTPStatusError("down", request=request, response=response)
    assert classify_llm_failure(status_error) is LLMFailure.SERVER_ERROR


def test_a_wrapped_cause_is_followed() -> None:
    try:
        try:
            raise TimeoutError("read timed out")
        except TimeoutError as inner:
            raise RuntimeError("chat model failed") from inner
    except RuntimeError as outer:
        assert classify_llm_failure(outer) is LLMFailure.TIMEOUT


def test_class_names_do_not_classify() -> None:
    class AuthenticationTimeoutConnectError(Exception):
        """A name holding every old substring: it is not an auth, timeout or connection error by type."""

    assert classify_llm_failure(AuthenticationTimeoutConnectError()) is LLMFailure.UNKNOWN


def test_every_failure_has_a_pt_br_reason() -> None:
    assert set(prompts.LLM_FAILURE_REASONS) == {f.value for f in LLMFailure}
