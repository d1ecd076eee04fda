"""Any OpenAI-compatible server (llama.cpp server, vLLM, LM Studio): ``openai-compatible/<model>``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm._http import openai_model_ids
from agent.llm._openai_protocol import chat_openai
from agent.llm.base import Provider, ProviderStatus, ProviderUnreachableError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.llm.config import LLMConfig


class OpenAICompatibleProvider(Provider):
    name = "openai-compatible"
    env_settings = ("VOZBD_OPENAI_COMPATIBLE_BASE_URL", "VOZBD_OPENAI_COMPATIBLE_API_KEY")
    example_model = "qwen2.5-7b-instruct"
    label = "servidor compatível com OpenAI seu (llama.cpp, vLLM, LM Studio)"

    def endpoint(self, config: LLMConfig) -> str | None:
        return config.openai_compatible_base_url

    def create(self, model: str, config: LLMConfig) -> BaseChatModel:
        base_url = config.openai_compatible_base_url
        key = config.openai_compatible_api_key
        ids = openai_model_ids(base_url, key)  # local server: a quick probe gives a clear error
        if ids is None:
            raise ProviderUnreachableError(
                f"O servidor compatível com OpenAI em {base_url} não respondeu; "
                "inicie-o ou ajuste VOZBD_OPENAI_COMPATIBLE_BASE_URL."
            )
        if not model:
            model = ids[0] if ids else "default"
        return chat_openai(model, key or "not-needed", base_url, config)

    def status(self, config: LLMConfig, *, check: bool = True) -> ProviderStatus:
        base_url = config.openai_compatible_base_url
        if not check:
            return ProviderStatus(self.name, True, None, base_url)
        ids = openai_model_ids(base_url, config.openai_compatible_api_key)
        return ProviderStatus(self.name, ids is not None, ids is not None, base_url, tuple(ids or ()))
