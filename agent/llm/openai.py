"""OpenAI (``openai/gpt-4.1-mini``) via langchain-openai."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._http import openai_model_ids
from agent.llm.base import Provider, ProviderStatus, missing_key_error, secret

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from vozbd.settings import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIProvider(Provider):
    name = "openai"
    env_settings = ("VOZBD_OPENAI_API_KEY", "VOZBD_OPENAI_BASE_URL")
    example_model = "gpt-4.1-mini"

    def create(self, model: str, settings: Settings) -> BaseChatModel:
        from langchain_openai import ChatOpenAI

        key = secret(settings, "openai_api_key", "OPENAI_API_KEY")
        if not key:
            raise missing_key_error(self.name, "VOZBD_OPENAI_API_KEY", "OPENAI_API_KEY")
        return ChatOpenAI(
            model=model,
            api_key=key,
            base_url=settings.openai_base_url or DEFAULT_BASE_URL,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout_s,
            max_retries=1,
            stream_usage=True,
        )

    def status(self, settings: Settings, *, check: bool = True) -> ProviderStatus:
        key = secret(settings, "openai_api_key", "OPENAI_API_KEY")
        if not key:
            return ProviderStatus(self.name, False, None, "VOZBD_OPENAI_API_KEY não definida")
        if not check:
            return ProviderStatus(self.name, True, None)
        models = openai_model_ids(settings.openai_base_url or DEFAULT_BASE_URL, key)
        detail = "" if models is not None else "sem resposta"
        return ProviderStatus(self.name, True, models is not None, detail, tuple(models or ()))
