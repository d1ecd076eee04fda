"""Tiny HTTP probes used by provider ``status`` and default-model detection (short timeouts, never raise)."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 1.0


def get_json(url: str, *, headers: dict[str, str] | None = None, timeout: float = PROBE_TIMEOUT_S) -> object | None:
    """GET ``url`` and return its JSON, or None when the server does not answer with 2xx JSON."""
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        log.debug("probe %s failed: %s", url, exc)
        return None
    if response.status_code >= 300:
        log.debug("probe %s answered HTTP %s", url, response.status_code)
        return None
    try:
        return response.json()
    except ValueError:
        return None


def openai_model_ids(
    base_url: str, api_key: str | None = None, *, timeout: float = PROBE_TIMEOUT_S
) -> list[str] | None:
    """Model ids from an OpenAI-compatible ``GET /models``, or None if unreachable."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    data = get_json(base_url.rstrip("/") + "/models", headers=headers, timeout=timeout)
    if not isinstance(data, dict):
        return None
    return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict) and m.get("id")]
