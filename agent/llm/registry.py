"""Find a provider by name and load ``"provider/model"``; pick a default model when none is configured."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from agent.llm.base import ModelNotConfiguredError, Provider, ProviderStatus, UnknownProviderError
from agent.llm.gemini import GeminiProvider
from agent.llm.ollama import OllamaProvider, ollama_models
from agent.llm.openai import OpenAIProvider
from agent.llm.openai_compatible import OpenAICompatibleProvider
from agent.llm.openrouter import OpenRouterProvider
from agent.llm.scripted import ScriptedProvider

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.llm.config import LLMConfig

log = logging.getLogger(__name__)

PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls
    for cls in (
        OpenAIProvider,
        GeminiProvider,
        OpenRouterProvider,
        OllamaProvider,
        OpenAICompatibleProvider,
        ScriptedProvider,
    )
}

OLLAMA_PREFERRED = ("qwen2.5:7b", "qwen2.5", "llama3.1:8b")

CONFIGURE_MODEL_MESSAGE = (
    "Nenhum modelo de linguagem está configurado. Um modelo local é usado automaticamente quando responde "
    "(Ollama em VOZBD_OLLAMA_BASE_URL, ou um servidor compatível com OpenAI em VOZBD_OPENAI_COMPATIBLE_BASE_URL). "
    "Um provedor hospedado só é usado quando VOZBD_MODEL o nomeia, no formato provedor/modelo "
    "(por exemplo openai/gpt-4.1-mini com VOZBD_OPENAI_API_KEY, ou gemini/gemini-2.5-flash com "
    "VOZBD_GEMINI_API_KEY). Veja os provedores disponíveis com: vozbd models list"
)


def get_provider(name: str) -> Provider:
    try:
        return PROVIDERS[name]()
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise UnknownProviderError(f"Provedor de modelo desconhecido: '{name}'. Use um destes: {known}.") from None


def split_spec(spec: str) -> tuple[str, str]:
    """``"openrouter/deepseek/deepseek-chat"`` -> ``("openrouter", "deepseek/deepseek-chat")``."""
    provider, sep, model = spec.strip().partition("/")
    if not sep or not provider:
        raise UnknownProviderError(
            f"Modelo '{spec}' inválido: use o formato provedor/modelo, por exemplo openai/gpt-4.1-mini."
        )
    return provider, model


def load_chat_model(spec: str, config: LLMConfig) -> BaseChatModel:
    provider, model = split_spec(spec)
    return get_provider(provider).create(model, config)


def default_model_spec(config: LLMConfig) -> str | None:
    """``config.model``; else a local server that answers (Ollama, then OpenAI-compatible); else None.

    A hosted provider is never picked on its own, even with its key set: questions, schema and rows go to it
    only when the operator names it (``VOZBD_MODEL``) or a user picks it in the UI."""
    if config.model:
        return config.model
    models = ollama_models(config.ollama_base_url)
    if models is not None:
        chosen = next((m for m in OLLAMA_PREFERRED if m in models), models[0] if models else None)
        if chosen:
            return f"ollama/{chosen}"
    compatible = get_provider("openai-compatible").status(config, check=True)
    if compatible.reachable:
        return f"openai-compatible/{compatible.models[0] if compatible.models else ''}"
    keyed = [cls.name for cls in PROVIDERS.values() if cls.hosted and cls().is_configured(config)]
    if keyed:
        log.info(
            "no local LLM answered; a key is set for %s but VOZBD_MODEL does not name a model, so no hosted "
            "provider is used (set e.g. VOZBD_MODEL=%s/%s)",
            ", ".join(keyed),
            keyed[0],
            PROVIDERS[keyed[0]].example_model,
        )
    else:
        log.info("no LLM configured: VOZBD_MODEL is unset and no local server answered")
    return None


def load_default_chat_model(config: LLMConfig) -> BaseChatModel | None:
    """The configured/detected chat model, or None when nothing is configured (the app still starts)."""
    spec = default_model_spec(config)
    if spec is None:
        return None
    return load_chat_model(spec, config)


def provider_statuses(config: LLMConfig, *, check: bool = True) -> list[ProviderStatus]:
    """Every provider's status. ``check`` probes local servers; a hosted service is contacted only when
    ``config.model`` names it (a stray key never makes vozbd talk to a third party)."""
    chosen = split_spec(config.model)[0] if config.model and "/" in config.model else None
    statuses = []
    for name, cls in PROVIDERS.items():
        probe = check and (not cls.hosted or name == chosen)
        status = cls().status(config, check=probe)
        if check and not probe and status.configured:
            status = replace(status, detail="não contatado: só é usado quando VOZBD_MODEL o nomeia")
        statuses.append(status)
    return statuses


__all__ = [
    "CONFIGURE_MODEL_MESSAGE",
    "PROVIDERS",
    "ModelNotConfiguredError",
    "default_model_spec",
    "get_provider",
    "load_chat_model",
    "load_default_chat_model",
    "provider_statuses",
    "split_spec",
]
