"""OpenAI (``openai/gpt-4.1-mini``) via langchain-openai."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._openai_protocol import KeyedOpenAIProvider
from agent.llm.config import OPENAI_BASE_URL

if TYPE_CHECKING:
    from agent.llm.config import LLMConfig

DEFAULT_BASE_URL = OPENAI_BASE_URL


class OpenAIProvider(KeyedOpenAIProvider):
    name = "openai"
    env_settings = ("VOZBD_OPENAI_API_KEY", "VOZBD_OPENAI_BASE_URL")
    example_model = "gpt-4.1-mini"
    label = "OpenAI (serviço hospedado)"
    key_setting = "VOZBD_OPENAI_API_KEY"
    key_env = "OPENAI_API_KEY"

    def key(self, config: LLMConfig) -> str | None:
        return config.openai_api_key

    def base_url(self, config: LLMConfig) -> str:
        return config.openai_base_url
