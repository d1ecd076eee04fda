"""Ollama (``ollama/qwen2.5:7b``) via langchain-ollama."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._http import get_json
from agent.llm.base import Provider, ProviderStatus, ProviderUnreachableError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.llm.config import LLMConfig


def ollama_models(base_url: str) -> list[str] | None:
    data = get_json(base_url.rstrip("/") + "/api/tags")
    if not isinstance(data, dict):
        return None
    return [str(m.get("name")) for m in data.get("models", []) if isinstance(m, dict) and m.get("name")]


class OllamaProvider(Provider):
    name = "ollama"
    env_settings = ("VOZBD_OLLAMA_BASE_URL",)
    example_model = "qwen2.5:7b"
    label = "Ollama (servidor de modelos seu)"

    def endpoint(self, config: LLMConfig) -> str | None:
        return config.ollama_base_url

    def create(self, model: str, config: LLMConfig) -> BaseChatModel:
        from langchain_ollama import ChatOllama

        if ollama_models(config.ollama_base_url) is None:  # local server: a quick probe gives a clear error
            raise ProviderUnreachableError(
                f"O Ollama não respondeu em {config.ollama_base_url}. Inicie-o (ollama serve) ou ajuste "
                "VOZBD_OLLAMA_BASE_URL."
            )
        return ChatOllama(
            model=model,
            base_url=config.ollama_base_url,
            temperature=config.temperature,
            client_kwargs={"timeout": config.timeout_s},
        )

    def status(self, config: LLMConfig, *, check: bool = True) -> ProviderStatus:
        if not check:
            return ProviderStatus(self.name, True, None, config.ollama_base_url)
        models = ollama_models(config.ollama_base_url)
        return ProviderStatus(
            self.name, models is not None, models is not None, config.ollama_base_url, tuple(models or ())
        )
