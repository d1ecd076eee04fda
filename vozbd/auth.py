"""One auth model for every HTTP surface of ``vozbd serve``: REST API, MCP over HTTP and the chat UI.

Rules (issue #11, item 5):

- Credentials are API keys (``VOZBD_API_KEYS`` "name:token", ``VOZBD_API_TOKEN`` = key "api") for REST,
  ``VOZBD_MCP_TOKEN`` (key "mcp") for MCP, and the chat login (``VOZBD_UI_AUTH``) for the UI.
- A token for one surface never leaves another open: once *any* credential is configured, REST and MCP
  require a bearer token. REST accepts the API keys, MCP its own token; a surface without its own token
  accepts the other's keys, and with none at all it is locked (401 saying what to set).
- Off loopback every mounted surface must require credentials; ``vozbd serve`` refuses to start otherwise,
  unless ``--insecure`` is given (``exposure_problems``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from vozbd_core.auth import bearer_matches
from vozbd_core.errors import CodedError

if TYPE_CHECKING:
    from vozbd.settings import Settings

Surface = Literal["rest", "mcp", "ui"]
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class InsecureExposureError(CodedError):
    """The server would expose a surface without credentials (message lists what to set)."""

    code = "insecure_exposure"


def is_loopback(host: str) -> bool:
    """True for loopback interfaces/names (``127.0.0.0/8``, ``::1``, ``localhost``); ``0.0.0.0`` is not."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ApiKey:
    """A named credential. ``name`` identifies the caller (logs, rate limits); the token is never shown."""

    name: str
    token: str

    def __repr__(self) -> str:
        return f"ApiKey(name={self.name!r})"


@dataclass(frozen=True)
class AuthPolicy:
    rest_keys: tuple[ApiKey, ...] = ()
    mcp_keys: tuple[ApiKey, ...] = ()
    ui_login: bool = False
    insecure: bool = False
    """``--insecure``: the operator accepted open surfaces; nothing is locked for lack of a token."""

    @classmethod
    def from_settings(cls, settings: Settings, *, insecure: bool = False) -> AuthPolicy:
        rest = [ApiKey(*(part.strip() for part in item.split(":", 1))) for item in settings.api_keys]
        if settings.api_token is not None and settings.api_token.get_secret_value():
            rest.append(ApiKey("api", settings.api_token.get_secret_value()))
        mcp = []
        if settings.mcp_token is not None and settings.mcp_token.get_secret_value():
            mcp.append(ApiKey("mcp", settings.mcp_token.get_secret_value()))
        return cls(tuple(rest), tuple(mcp), ui_login=settings.ui_auth != "none", insecure=insecure)

    @property
    def any_credentials(self) -> bool:
        return bool(self.rest_keys or self.mcp_keys or self.ui_login)

    def keys_for(self, surface: Surface) -> tuple[ApiKey, ...]:
        """Keys a bearer surface accepts: its own, else the other surface's (never none while others are set)."""
        own, other = (self.rest_keys, self.mcp_keys) if surface == "rest" else (self.mcp_keys, self.rest_keys)
        return own or other

    def requires_token(self, surface: Surface) -> bool:
        return self.any_credentials and not (self.insecure and not self.keys_for(surface))

    def authenticate(self, surface: Surface, authorization: bytes | None) -> ApiKey | None:
        """The key presented in ``Authorization: Bearer ...`` if it is valid for ``surface``."""
        if not authorization:
            return None
        found = None
        for key in self.keys_for(surface):  # check all keys: time does not reveal which one matched
            if bearer_matches(authorization, key.token.encode()) and found is None:
                found = key
        return found

    def protected(self, surface: Surface) -> bool:
        if surface == "ui":
            return self.ui_login
        return bool(self.keys_for(surface))

    def exposure_problems(self, host: str, surfaces: tuple[Surface, ...]) -> list[str]:
        """pt-BR reasons not to start: an open surface off loopback, or open next to a protected one."""
        open_ones = [s for s in surfaces if not self.protected(s)]
        if not open_ones or self.insecure:
            return []
        if not is_loopback(host) or self.any_credentials:
            # Leaving a surface out is a fix only where others are served with it (`vozbd serve`, not `vozbd ui`).
            return [_FIX[s] + (_LEAVE_OUT[s] if len(surfaces) > 1 else "") for s in open_ones]
        return []


_FIX: dict[Surface, str] = {
    "rest": "a API REST (/api) está sem credenciais: defina VOZBD_API_KEYS (nome:token) ou VOZBD_API_TOKEN",
    "mcp": "o MCP (/mcp) está sem credenciais: defina VOZBD_MCP_TOKEN (ou VOZBD_API_KEYS)",
    "ui": "o chat (/) está sem login: defina VOZBD_UI_AUTH=password (com VOZBD_UI_PASSWORD) ou header",
}
_LEAVE_OUT: dict[Surface, str] = {
    "rest": "",
    "mcp": ", ou sirva sem o MCP (--no-mcp)",
    "ui": ", ou sirva sem o chat (--no-ui)",
}


def check_exposure(policy: AuthPolicy, host: str, surfaces: tuple[Surface, ...]) -> None:
    """Raise ``InsecureExposureError`` (pt-BR, every fix listed) unless every exposed surface is protected."""
    problems = policy.exposure_problems(host, surfaces)
    if problems:
        where = "fora do loopback" if not is_loopback(host) else "com credenciais em outra superfície"
        raise InsecureExposureError(
            f"Recusado iniciar em {host} {where}: "
            + "; ".join(problems)
            + ". Para aceitar o risco explicitamente, use --insecure.",
            detail={"host": host, "open_surfaces": [s for s in surfaces if not policy.protected(s)]},
        )
