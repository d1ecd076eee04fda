"""OpenRouter (``openrouter/deepseek/deepseek-chat``): ChatOpenAI pointed at OpenRouter's base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._http import openai_model_ids
from agent.llm.base import Provider, ProviderStatus, missing_key_error, secret

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from vozbd.settings import Settings


class OpenRouterProvider(Provider):
    name = "openrouter"
    env_settings = ("VOZBD_OPENROUTER_API_KEY", "VOZBD_OPENROUTER_BASE_URL")
    example_model = "deepseek/deepseek-chat"

    def create(self, model: str, settings: Settings) -> BaseChatModel:
        from langchain_openai import ChatOpenAI

        key = secret(settings, "openrouter_api_key", "OPENROUTER_API_KEY")
        if not key:
            raise missing_key_error(self.name, "VOZBD_OPENROUTER_API_KEY", "OPENROUTER_API_KEY")
        return ChatOpenAI(
            model=model,
            api_key=key,
            base_url=settings.openrouter_base_url,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout_s,
            max_retries=1,
            stream_usage=True,
        )

    def status(self, settings: Settings, *, check: bool = True) -> ProviderStatus:
        key = secret(settings, "openrouter_api_key", "OPENROUTER_API_KEY")
        if not key:
            return ProviderStatus(self.name, False, None, "VOZBD_OPENROUTER_API_KEY não definida")
        if not check:
            return ProviderStatus(self.name, True, None)
        models = openai_model_ids(settings.openrouter_base_url, key)
        return ProviderStatus(self.name, True, models is not None, "" if models is not None else "sem resposta")
