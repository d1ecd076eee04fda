"""Choosing providers by name and the default model when nothing is configured."""

from __future__ import annotations

import httpx
import pytest
import respx

from agent.llm.base import UnknownProviderError
from agent.llm.config import LLMConfig
from agent.llm.registry import (
    PROVIDERS,
    default_model_spec,
    get_provider,
    load_chat_model,
    provider_statuses,
    split_spec,
)
from vozbd.settings import Settings
from vozbd.wiring import llm_config

PROVIDER_ENV = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY", "VOZBD_MODEL")
CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)


def offline(**values: object) -> LLMConfig:
    """The LLM config ``vozbd.wiring`` builds from these settings, with no local server answering."""
    settings = Settings(_env_file=None, ollama_base_url=CLOSED, openai_compatible_base_url=CLOSED + "/v1", **values)  # type: ignore[arg-type]  # Settings fields given by name
    return llm_config(settings)


def test_split_spec_keeps_slashes_in_model() -> None:
    assert split_spec("openrouter/deepseek/deepseek-chat") == ("openrouter", "deepseek/deepseek-chat")
    with pytest.raises(UnknownProviderError):
        split_spec("gpt-4")


def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(UnknownProviderError) as info:
        load_chat_model("acme/x", offline())
    assert "openai" in info.value.message and "ollama" in info.value.message


def test_every_provider_is_registered_by_its_name() -> None:
    assert set(PROVIDERS) == {"openai", "gemini", "openrouter", "ollama", "openai-compatible", "scripted"}
    assert all(name == cls.name for name, cls in PROVIDERS.items())


def test_default_is_explicit_setting_first() -> None:
    assert default_model_spec(offline(model="ollama/llama3", openai_api_key="sk")) == "ollama/llama3"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("OPENAI_API_KEY", "openai/gpt-4.1-mini"),
        ("GOOGLE_API_KEY", "gemini/gemini-2.5-flash"),
        ("OPENROUTER_API_KEY", "openrouter/deepseek/deepseek-chat"),
    ],
)
def test_a_key_alone_never_picks_a_hosted_provider(
    monkeypatch: pytest.MonkeyPatch, env: str, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A stray key (conventional env name) is read, but the hosted provider is used only when VOZBD_MODEL names it."""
    monkeypatch.setenv(env, "k")
    config = offline()
    assert get_provider(expected.split("/")[0]).is_configured(config)
    with caplog.at_level("INFO", logger="agent.llm.registry"):
        assert default_model_spec(config) is None
    assert "VOZBD_MODEL" in caplog.text and expected in caplog.text
    monkeypatch.setenv("VOZBD_MODEL", expected)
    assert default_model_spec(offline()) == expected


def test_local_ollama_wins_over_a_hosted_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stray")
    with respx.mock(assert_all_called=False) as mock:
        tags = mock.get("http://127.0.0.1:11434/api/tags").mock(
            return_value=httpx.Response(200, json={"models": [{"name": "qwen2.5:7b"}]})
        )
        hosted = mock.route(host="api.openai.com").mock(return_value=httpx.Response(500))
        mock.route().mock(side_effect=httpx.ConnectError("closed"))
        config = llm_config(Settings(_env_file=None))
        assert default_model_spec(config) == "ollama/qwen2.5:7b"
        statuses = {s.name: s for s in provider_statuses(config, check=True)}
    assert tags.called and not hosted.called, "a hosted provider was contacted without being chosen"
    assert statuses["openai"].configured and statuses["openai"].reachable is None


def test_default_none_when_nothing_answers() -> None:
    assert default_model_spec(offline()) is None


def test_default_local_ollama_when_it_answers() -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.get("http://127.0.0.1:11434/api/tags").mock(
            return_value=httpx.Response(200, json={"models": [{"name": "llama3.1:8b"}, {"name": "qwen2.5:7b"}]})
        )
        mock.route().mock(side_effect=httpx.ConnectError("closed"))
        spec = default_model_spec(llm_config(Settings(_env_file=None)))
    assert spec == "ollama/qwen2.5:7b"


def test_default_openai_compatible_when_it_answers() -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.get("http://127.0.0.1:8080/v1/models").mock(
            return_value=httpx.Response(200, json={"data": [{"id": "local-model"}]})
        )
        mock.route().mock(side_effect=httpx.ConnectError("closed"))
        spec = default_model_spec(llm_config(Settings(_env_file=None)))
    assert spec == "openai-compatible/local-model"


def test_provider_statuses_report_configuration() -> None:
    statuses = {s.name: s for s in provider_statuses(offline(gemini_api_key="g"), check=False)}
    assert statuses["gemini"].configured is True
    assert statuses["openai"].configured is False
    assert "VOZBD_OPENAI_API_KEY" in statuses["openai"].detail
    checked = {s.name: s for s in provider_statuses(offline(), check=True)}
    assert checked["ollama"].reachable is False
