"""What the providers speaking the OpenAI protocol share: the ChatOpenAI construction and the keyed-provider shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import SecretStr

from agent.llm._http import openai_model_ids
from agent.llm.base import Provider, ProviderStatus, missing_key_error

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.llm.config import LLMConfig


def chat_openai(model: str, api_key: str, base_url: str, config: LLMConfig) -> BaseChatModel:
    """A ChatOpenAI with vozbd's temperature, timeout and retry policy (usage reported while streaming)."""
    from langchain_openai import ChatOpenAI

    # langchain-openai's pydantic fields are aliased (model, api_key, base_url, timeout): fine at run time.
    return ChatOpenAI(  # type: ignore[call-arg]  # ChatOpenAI takes api_key/base_url by alias, which mypy does not see
        model=model,
        api_key=SecretStr(api_key),
        base_url=base_url,
        temperature=config.temperature,
        timeout=config.timeout_s,
        max_retries=1,
        stream_usage=True,
    )


class KeyedOpenAIProvider(Provider):
    """A hosted service speaking the OpenAI protocol that needs an API key (OpenAI, OpenRouter)."""

    key_setting: ClassVar[str]
    """The setting holding the key (``VOZBD_OPENAI_API_KEY``), named in errors."""
    key_env: ClassVar[str]
    """The provider's conventional env var, honoured as a fallback (``OPENAI_API_KEY``), named in errors."""

    def key(self, config: LLMConfig) -> str | None:
        raise NotImplementedError

    hosted = True

    def base_url(self, config: LLMConfig) -> str:
        raise NotImplementedError

    def endpoint(self, config: LLMConfig) -> str | None:
        return self.base_url(config)

    def create(self, model: str, config: LLMConfig) -> BaseChatModel:
        key = self.key(config)
        if not key:
            raise missing_key_error(self.name, self.key_setting, self.key_env)
        return chat_openai(model, key, self.base_url(config), config)

    def status(self, config: LLMConfig, *, check: bool = True) -> ProviderStatus:
        key = self.key(config)
        if not key:
            return ProviderStatus(self.name, False, None, f"{self.key_setting} não definida")
        if not check:
            return ProviderStatus(self.name, True, None)
        models = openai_model_ids(self.base_url(config), key)
        detail = "" if models is not None else "sem resposta"
        return ProviderStatus(self.name, True, models is not None, detail, tuple(models or ()))
