"""Where a model's prompts go: the provider, its endpoint, and whether that is this machine, the local network or
the internet — told plainly (pt-BR) by the UI, ``/diagnostico`` and ``vozbd models list``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from agent.llm.registry import get_provider, split_spec

if TYPE_CHECKING:
    from agent.llm.config import LLMConfig

Reach = Literal["process", "machine", "network", "internet"]

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def reach_of(url: str | None) -> Reach:
    """``process`` (no endpoint), ``machine`` (loopback), ``network`` (private address, ``.local``/``.lan`` or a
    single-label name) or ``internet`` (anything else: a public name or address)."""
    if not url:
        return "process"
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in LOCAL_NAMES:
        return "machine"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host and ("." not in host or host.endswith((".local", ".lan", ".internal", ".home.arpa"))):
            return "network"
        return "internet"
    if address.is_loopback:
        return "machine"
    if address.is_private or address.is_link_local:
        return "network"
    return "internet"


REACH_TEXT: dict[Reach, str] = {
    "process": "roda dentro do vozbd; nada sai deste computador",
    "machine": "neste computador",
    "network": "na sua rede local",
    "internet": "fora da sua rede, pela internet",
}


@dataclass(frozen=True)
class Destination:
    """Where one model spec sends its prompts."""

    spec: str
    provider: str
    label: str
    hosted: bool
    endpoint: str | None
    reach: Reach

    @property
    def leaves_machine(self) -> bool:
        return self.reach in ("network", "internet")

    def describe(self) -> str:
        """One pt-BR line: ``openai/gpt-4.1-mini → OpenAI (serviço hospedado), fora da sua rede (https://…)``."""
        where = REACH_TEXT[self.reach]
        endpoint = f" — {self.endpoint}" if self.endpoint else ""
        return f"`{self.spec}` → {self.label}, {where}{endpoint}"


def destination(spec: str, config: LLMConfig) -> Destination:
    """The destination of ``"provider/model"`` (raises ``UnknownProviderError`` for an unknown provider)."""
    name, _ = split_spec(spec)
    provider = get_provider(name)
    endpoint = provider.endpoint(config)
    return Destination(
        spec=spec,
        provider=name,
        label=provider.label or name,
        hosted=provider.hosted,
        endpoint=endpoint,
        reach=reach_of(endpoint),
    )
