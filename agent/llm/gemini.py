"""Google Gemini (``gemini/gemini-2.5-flash``) via langchain-google-genai."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm.base import Provider, ProviderStatus, missing_key_error

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.llm.config import LLMConfig

ENV_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
"""Conventional env vars honoured (aliases of the ``gemini_api_key`` setting) when VOZBD_GEMINI_API_KEY is unset."""
GEMINI_ENDPOINT = "https://generativelanguage.googleapis.com"
"""Where langchain-google-genai sends requests (the Gemini API)."""


class GeminiProvider(Provider):
    name = "gemini"
    env_settings = ("VOZBD_GEMINI_API_KEY",)
    example_model = "gemini-2.5-flash"
    hosted = True
    label = "Google Gemini (serviço hospedado)"

    def endpoint(self, config: LLMConfig) -> str | None:
        return GEMINI_ENDPOINT

    def create(self, model: str, config: LLMConfig) -> BaseChatModel:
        from langchain_google_genai import ChatGoogleGenerativeAI

        if not config.gemini_api_key:
            raise missing_key_error(self.name, "VOZBD_GEMINI_API_KEY", "/".join(ENV_KEYS))
        return ChatGoogleGenerativeAI(
            model=model,
            google_api_key=config.gemini_api_key,
            temperature=config.temperature,
            timeout=config.timeout_s,
            max_retries=1,
        )

    def status(self, config: LLMConfig, *, check: bool = True) -> ProviderStatus:
        if not config.gemini_api_key:
            return ProviderStatus(self.name, False, None, "VOZBD_GEMINI_API_KEY não definida")
        return ProviderStatus(self.name, True, None)
