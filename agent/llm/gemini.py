"""Google Gemini (``gemini/gemini-2.5-flash``) via langchain-google-genai."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm.base import Provider, ProviderStatus, missing_key_error, secret

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from vozbd.settings import Settings

ENV_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


class GeminiProvider(Provider):
    name = "gemini"
    env_settings = ("VOZBD_GEMINI_API_KEY",)
    example_model = "gemini-2.5-flash"

    def create(self, model: str, settings: Settings) -> BaseChatModel:
        from langchain_google_genai import ChatGoogleGenerativeAI

        key = secret(settings, "gemini_api_key", *ENV_KEYS)
        if not key:
            raise missing_key_error(self.name, "VOZBD_GEMINI_API_KEY", "GEMINI_API_KEY/GOOGLE_API_KEY")
        return ChatGoogleGenerativeAI(
            model=model,
            google_api_key=key,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout_s,
            max_retries=1,
        )

    def status(self, settings: Settings, *, check: bool = True) -> ProviderStatus:
        key = secret(settings, "gemini_api_key", *ENV_KEYS)
        if not key:
            return ProviderStatus(self.name, False, None, "VOZBD_GEMINI_API_KEY não definida")
        return ProviderStatus(self.name, True, None)
