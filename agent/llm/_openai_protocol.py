"""What the providers speaking the OpenAI protocol share: the ChatOpenAI construction and the keyed-provider shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from agent.llm._http import openai_model_ids
from agent.llm.base import Provider, ProviderStatus, missing_key_error, secret

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from vozbd.settings import Settings


def chat_openai(model: str, api_key: str, base_url: str, settings: Settings) -> BaseChatModel:
    """A ChatOpenAI with vozbd's temperature, timeout and retry policy (usage reported while streaming)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        api_key=api_key,
        base_url=base_url,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=1,
        stream_usage=True,
    )


class KeyedOpenAIProvider(Provider):
    """A hosted service speaking the OpenAI protocol that needs an API key (OpenAI, OpenRouter)."""

    key_field: ClassVar[str]
    """The Settings field holding the key (``openai_api_key``)."""
    key_env: ClassVar[str]
    """The provider's conventional env var, honoured as a fallback (``OPENAI_API_KEY``)."""

    def base_url(self, settings: Settings) -> str:
        raise NotImplementedError

    def _key(self, settings: Settings) -> str | None:
        return secret(settings, self.key_field, self.key_env)

    def create(self, model: str, settings: Settings) -> BaseChatModel:
        key = self._key(settings)
        if not key:
            raise missing_key_error(self.name, f"VOZBD_{self.key_field.upper()}", self.key_env)
        return chat_openai(model, key, self.base_url(settings), settings)

    def status(self, settings: Settings, *, check: bool = True) -> ProviderStatus:
        key = self._key(settings)
        if not key:
            return ProviderStatus(self.name, False, None, f"VOZBD_{self.key_field.upper()} não definida")
        if not check:
            return ProviderStatus(self.name, True, None)
        models = openai_model_ids(self.base_url(settings), key)
        detail = "" if models is not None else "sem resposta"
        return ProviderStatus(self.name, True, models is not None, detail, tuple(models or ()))
