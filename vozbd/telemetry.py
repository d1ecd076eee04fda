"""Telemetry and tracing of every dependency, off — set once, when an entry point loads its settings.

Two kinds, found by reading the installed packages for the switches they honour:

- **Tracers that would carry prompts, schema and rows to a service** (LangSmith through LangChain, Traceloop /
  OpenLLMetry pulled in by Chainlit's Literal AI client): forced off, even when the environment turns them on —
  vozbd's promise is that data leaves only for the model you name. A value that was overridden is logged.
- **Usage statistics** (onnxruntime's built-in Microsoft 1DS telemetry — found by the offline test: Kokoro's and
  the VAD's ONNX sessions resolved its collector's name from native threads —, huggingface_hub, OpenTelemetry's
  SDK and FastAPI's OTLP auto-configuration, anything honouring ``DO_NOT_TRACK``): off unless already set.

Chainlit's own hosted data layer (``LITERAL_API_KEY``) and ``DATABASE_URL`` data layer are never used: the chat
registers its own (``ui.history``), or none. Chainlit 2.12 has no usage telemetry of its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping

log = logging.getLogger(__name__)

FORCED_OFF: dict[str, str] = {
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "TRACELOOP_TRACING_ENABLED": "false",
    "TRACELOOP_TELEMETRY": "false",
}
"""Tracers that would send prompts and results to a third party: always off in vozbd."""

DEFAULT_OFF: dict[str, str] = {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "OTEL_SDK_DISABLED": "true",
    "FASTAPI_OTEL_AUTO_CONFIGURE": "false",
    "ANONYMIZED_TELEMETRY": "False",
    "ORT_DISABLE_TELEMETRY": "1",
}
"""Usage statistics: off unless set (an operator may still opt in explicitly)."""


def telemetry_off(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Apply both tables to ``environ`` (the process environment by default); returns what it overrode."""
    env = os.environ if environ is None else environ
    overridden = {}
    for name, value in FORCED_OFF.items():
        current = env.get(name)
        if current is not None and current.strip().lower() not in ("", "0", "false", "no", "off"):
            overridden[name] = current
        env[name] = value
    for name, value in DEFAULT_OFF.items():
        env.setdefault(name, value)
    if overridden:
        log.warning(
            "tracing turned off (vozbd sends prompts and rows only to the model you choose): ignored %s",
            ", ".join(f"{name}={value}" for name, value in sorted(overridden.items())),
        )
    return overridden
