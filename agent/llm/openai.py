"""OpenAI (``openai/gpt-4.1-mini``) via langchain-openai."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._openai_protocol import KeyedOpenAIProvider

if TYPE_CHECKING:
    from vozbd.settings import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIProvider(KeyedOpenAIProvider):
    name = "openai"
    env_settings = ("VOZBD_OPENAI_API_KEY", "VOZBD_OPENAI_BASE_URL")
    example_model = "gpt-4.1-mini"
    key_field = "openai_api_key"
    key_env = "OPENAI_API_KEY"

    def base_url(self, settings: Settings) -> str:
        return settings.openai_base_url or DEFAULT_BASE_URL
