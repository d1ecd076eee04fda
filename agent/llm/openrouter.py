"""OpenRouter (``openrouter/deepseek/deepseek-chat``): ChatOpenAI pointed at OpenRouter's base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._openai_protocol import KeyedOpenAIProvider

if TYPE_CHECKING:
    from vozbd.settings import Settings


class OpenRouterProvider(KeyedOpenAIProvider):
    name = "openrouter"
    env_settings = ("VOZBD_OPENROUTER_API_KEY", "VOZBD_OPENROUTER_BASE_URL")
    example_model = "deepseek/deepseek-chat"
    key_field = "openrouter_api_key"
    key_env = "OPENROUTER_API_KEY"

    def base_url(self, settings: Settings) -> str:
        return settings.openrouter_base_url
