"""What the LLM providers need, resolved once by the composition root (``vozbd.wiring.llm_config``).

Keys are declared settings (``VOZBD_OPENAI_API_KEY``, with the provider's conventional env var such as
``OPENAI_API_KEY`` as an alias), so providers never read settings or the environment themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
OLLAMA_BASE_URL = "http://127.0.0.1:11434"
OPENAI_COMPATIBLE_BASE_URL = "http://127.0.0.1:8080/v1"


@dataclass(frozen=True)
class LLMConfig:
    model: str | None = None
    """``"provider/model"`` chosen by the operator; None = a local server that answers (``default_model_spec``)."""
    temperature: float = 0.0
    timeout_s: float = 60.0
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str = OPENAI_BASE_URL
    gemini_api_key: str | None = field(default=None, repr=False)
    openrouter_api_key: str | None = field(default=None, repr=False)
    openrouter_base_url: str = OPENROUTER_BASE_URL
    ollama_base_url: str = OLLAMA_BASE_URL
    openai_compatible_base_url: str = OPENAI_COMPATIBLE_BASE_URL
    openai_compatible_api_key: str | None = field(default=None, repr=False)
