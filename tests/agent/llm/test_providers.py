"""Each provider at its HTTP boundary: the request we send (model, tools schema, auth) and tool-call parsing.

Ollama's client uses httpx and is mocked with respx. The OpenAI and Google SDKs use their own HTTP stack (httpx2),
which respx cannot intercept, so they talk to a tiny local HTTP server instead (OpenAI, OpenRouter and
OpenAI-compatible through their base-URL settings, Gemini through ``GOOGLE_GEMINI_BASE_URL``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from langchain_core.messages import AIMessage

from agent.llm.base import ModelNotConfiguredError, ProviderUnreachableError
from agent.llm.config import LLMConfig
from agent.llm.registry import load_chat_model
from agent.tools import tool_schemas
from tests.agent.llm.http_stub import QuietHandler, local_server, serving
from tools.registry import all_tools
from vozbd.settings import Settings
from vozbd.wiring import llm_config

PROVIDER_ENV = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY")


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def lc_tools() -> list[dict[str, Any]]:
    return tool_schemas(all_tools())


def settings(**values: Any) -> LLMConfig:
    """The LLM config ``vozbd.wiring`` builds from these settings (keys resolved like in production)."""
    return llm_config(Settings(_env_file=None, **values))


def openai_tool_call_response(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "run_query", "arguments": json.dumps({"sql": "SELECT 1"})},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def assert_tool_call(message: AIMessage) -> None:
    assert isinstance(message, AIMessage)
    assert message.tool_calls[0]["name"] == "run_query"
    assert message.tool_calls[0]["args"] == {"sql": "SELECT 1"}


def assert_our_tools(sent_tools: list[dict[str, Any]]) -> None:
    by_name = {t["function"]["name"]: t["function"] for t in sent_tools}
    assert set(by_name) == {spec.name for spec in all_tools()}
    for spec in all_tools():
        assert by_name[spec.name]["description"] == spec.description
        expected = spec.input_model.model_json_schema()
        assert set(by_name[spec.name]["parameters"]["properties"]) == set(expected["properties"])


@pytest.mark.parametrize(
    ("spec", "setting", "key_setting", "key"),
    [
        ("openai/gpt-4.1-mini", "openai_base_url", "openai_api_key", "sk-test"),
        ("openrouter/deepseek/deepseek-chat", "openrouter_base_url", "openrouter_api_key", "or-test"),
        ("openai-compatible/qwen2.5-7b", "openai_compatible_base_url", "openai_compatible_api_key", "loc"),
    ],
)
def test_openai_family_request_and_tool_calls(
    spec: str, setting: str, key_setting: str, key: str, server: Recorder, lc_tools: list[dict[str, Any]]
) -> None:
    model_name = spec.split("/", 1)[1]
    server.reply = openai_tool_call_response(model_name)
    model = load_chat_model(spec, settings(**{setting: server.url + "/v1", key_setting: key}))
    reply = model.bind_tools(lc_tools).invoke("Quantos clientes temos?")
    assert_tool_call(reply)
    assert reply.usage_metadata and reply.usage_metadata["input_tokens"] == 11
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {key}"
    body = request["body"]
    assert body["model"] == model_name
    assert body["messages"][-1] == {"role": "user", "content": "Quantos clientes temos?"}
    assert_our_tools(body["tools"])


def test_ollama_request_and_tool_calls(lc_tools: list[dict[str, Any]]) -> None:
    line = {
        "model": "qwen2.5:7b",
        "created_at": "2026-06-30T00:00:00Z",
        "message": {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "run_query", "arguments": {"sql": "SELECT 1"}}}],
        },
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 12,
        "eval_count": 4,
    }
    with respx.mock(assert_all_called=True) as mock:
        mock.get("http://127.0.0.1:11555/api/tags").mock(
            return_value=httpx.Response(200, json={"models": [{"name": "qwen2.5:7b"}]})
        )
        route = mock.post("http://127.0.0.1:11555/api/chat").mock(
            return_value=httpx.Response(200, content=(json.dumps(line) + "\n").encode())
        )
        model = load_chat_model("ollama/qwen2.5:7b", settings(ollama_base_url="http://127.0.0.1:11555"))
        reply = model.bind_tools(lc_tools).invoke("Quantos clientes temos?")
    assert_tool_call(reply)
    body = json.loads(route.calls.last.request.content)
    assert body["model"] == "qwen2.5:7b"
    assert_our_tools(body["tools"])


FUNCTION_CALL = {"name": "run_query", "args": {"sql": "SELECT 1"}}
GEMINI_REPLY = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"functionCall": FUNCTION_CALL}]},
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 3, "totalTokenCount": 12},
}


class Recorder:
    """A local HTTP server (``tests/agent/llm/http_stub.py``): records requests, sends ``reply``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: dict[str, Any] = {}
        recorder = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.read_json()
                recorder.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                self.send_json(recorder.reply)

            def do_GET(self) -> None:
                self.send_json({"data": [{"id": "qwen2.5-7b"}]})

        self.httpd, self.url = local_server(Handler)


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    with serving(recorder.httpd):
        yield recorder


def test_gemini_request_and_tool_calls(
    server: Recorder, lc_tools: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply = GEMINI_REPLY
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url + "/")
    model = load_chat_model("gemini/gemini-2.5-flash", settings(gemini_api_key="g-test"))
    reply = model.bind_tools(lc_tools).invoke("Quantos clientes temos?")
    assert_tool_call(reply)
    request = server.requests[-1]
    assert "gemini-2.5-flash" in request["path"]
    assert request["headers"].get("x-goog-api-key") == "g-test"
    declarations = [d for t in request["body"]["tools"] for d in t.get("functionDeclarations", [])]
    assert {d["name"] for d in declarations} == {spec.name for spec in all_tools()}


@pytest.mark.parametrize(
    ("spec", "setting"),
    [
        ("openai/gpt-4.1-mini", "VOZBD_OPENAI_API_KEY"),
        ("gemini/gemini-2.5-flash", "VOZBD_GEMINI_API_KEY"),
        ("openrouter/deepseek/deepseek-chat", "VOZBD_OPENROUTER_API_KEY"),
    ],
)
def test_missing_key_names_the_setting(spec: str, setting: str) -> None:
    with pytest.raises(ModelNotConfiguredError) as info:
        load_chat_model(spec, settings())
    assert setting in info.value.message


@pytest.mark.parametrize(
    ("spec", "setting"),
    [("ollama/qwen2.5:7b", "VOZBD_OLLAMA_BASE_URL"), ("openai-compatible/x", "VOZBD_OPENAI_COMPATIBLE_BASE_URL")],
)
def test_unreachable_local_server_names_the_setting(spec: str, setting: str) -> None:
    closed = settings(ollama_base_url="http://127.0.0.1:9", openai_compatible_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ProviderUnreachableError) as info:
        load_chat_model(spec, closed)
    assert setting in info.value.message


def test_conventional_env_key_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    model = load_chat_model("openai/gpt-4.1-mini", settings())
    assert model.openai_api_key.get_secret_value() == "sk-env"  # type: ignore[attr-defined]  # ChatOpenAI's key field, set by alias
