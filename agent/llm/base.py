"""The one interface every LLM provider implements, plus the typed errors of this layer.

A model is named ``"provider/model"`` (``openai/gpt-4.1-mini``) and loaded by
``agent.llm.registry.load_chat_model``; each provider lives in its own module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from vozbd_core.errors import CodedError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.llm.config import LLMConfig


class LLMError(CodedError):
    """Base error of the LLM layer; ``message`` is pt-BR for the end user, ``code`` is stable."""

    code = "llm_error"


class UnknownProviderError(LLMError):
    """The ``provider/`` prefix names no known provider."""

    code = "unknown_provider"


class ModelNotConfiguredError(LLMError):
    """A provider needs a setting (API key, model name) that is missing."""

    code = "model_not_configured"


class ProviderUnreachableError(LLMError):
    """A local model server (Ollama, llama.cpp, vLLM, ...) does not answer."""

    code = "provider_unreachable"


@dataclass(frozen=True)
class ProviderStatus:
    name: str
    configured: bool
    reachable: bool | None  # None = not checked
    detail: str = ""
    models: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "configured": self.configured,
            "reachable": self.reachable,
            "detail": self.detail,
            "models": list(self.models),
        }


class Provider(ABC):
    """One LLM provider: which config values it needs, how to build a chat model, how to report its status."""

    name: ClassVar[str]
    env_settings: ClassVar[tuple[str, ...]] = ()
    """Settings (``VOZBD_...`` env names) that configure the provider; shown in errors and docs."""
    example_model: ClassVar[str] = ""
    hosted: ClassVar[bool] = False
    """A third-party service on the internet: never chosen unless the operator or a user names it."""
    label: ClassVar[str] = ""
    """Who runs it, for people (pt-BR): "OpenAI (serviço hospedado)", "Ollama (servidor local)"."""

    def endpoint(self, config: LLMConfig) -> str | None:
        """Where the prompts are sent (a base URL), or None when the model runs inside this process."""
        return None

    @abstractmethod
    def create(self, model: str, config: LLMConfig) -> BaseChatModel:
        """Build the chat model; raise ModelNotConfiguredError when a required setting is missing."""

    @abstractmethod
    def status(self, config: LLMConfig, *, check: bool = True) -> ProviderStatus:
        """Configured? Reachable (only probed when ``check``)? Models it offers, when cheaply known."""

    def is_configured(self, config: LLMConfig) -> bool:
        return self.status(config, check=False).configured


def missing_key_error(provider: str, setting: str, extra_env: str | None = None) -> ModelNotConfiguredError:
    hint = f" (ou {extra_env})" if extra_env else ""
    return ModelNotConfiguredError(
        f"O provedor '{provider}' precisa de uma chave de API: defina {setting}{hint} no ambiente ou no arquivo .env."
    )
