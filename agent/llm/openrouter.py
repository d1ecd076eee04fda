"""OpenRouter (``openrouter/deepseek/deepseek-chat``): ChatOpenAI pointed at OpenRouter's base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._openai_protocol import KeyedOpenAIProvider

if TYPE_CHECKING:
    from agent.llm.config import LLMConfig


class OpenRouterProvider(KeyedOpenAIProvider):
    name = "openrouter"
    env_settings = ("VOZBD_OPENROUTER_API_KEY", "VOZBD_OPENROUTER_BASE_URL")
    example_model = "deepseek/deepseek-chat"
    label = "OpenRouter (serviço hospedado, repassa ao provedor do modelo)"
    key_setting = "VOZBD_OPENROUTER_API_KEY"
    key_env = "OPENROUTER_API_KEY"

    def key(self, config: LLMConfig) -> str | None:
        return config.openrouter_api_key

    def base_url(self, config: LLMConfig) -> str:
        return config.openrouter_base_url
