"""Connections declared in the config file (``[connections.NAME]`` in ``config.toml``), typed.

Each gives a URL (or its parts), where the password comes from (an environment variable or the encrypted
store of ``vozbd db add``), optional TLS and SSH tunnel, and a policy. ``declare`` turns them into what the
tools receive (``tools.db.transport.DeclaredConnection`` + ``tools.policy.ConnectionPolicy``); the password
is read here, at the composition root, never by a tool.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import URL

from tools.db.registry import NAME_PATTERN, ConnectionRegistry
from tools.db.transport import DeclaredConnection, SshOptions, TlsMode, TlsOptions, Transport
from tools.db.urls import parse_url
from tools.policy import ConnectionPolicy

DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql",
           "mariadb": "mysql+pymysql", "sqlite": "sqlite"}  # fmt: skip


class ConfigError(ValueError):
    """The config file declares something that cannot work (missing password variable, bad name, ...)."""


class TlsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: TlsMode = Field("verify-full", description="disable, require, verify-ca or verify-full (PostgreSQL sslmode).")
    ca_file: Path | None = Field(None, description="CA certificate (PEM) that signed the server's certificate.")
    cert_file: Path | None = Field(None, description="Client certificate (PEM), for servers that require one.")
    key_file: Path | None = Field(None, description="Client private key (PEM).")


class SshConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(description="SSH server or a Host alias of ~/.ssh/config.")
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = None
    key_file: Path | None = Field(None, description="Private key; default: the agent / ~/.ssh/config / ~/.ssh/id_*.")
    password_env: str | None = Field(None, description="Environment variable holding the SSH password.")
    passphrase_env: str | None = Field(None, description="Environment variable holding the key's passphrase.")
    jump_host: str | None = Field(None, description="[user@]host[:port] of a bastion (like ssh -J).")
    known_hosts: Path | None = Field(None, description="Trusted host keys (default ~/.ssh/known_hosts).")
    check_host_key: bool = Field(True, description="false = accept any host key (never on untrusted networks).")
    config_file: Path | None = Field(None, description="OpenSSH client config (default ~/.ssh/config).")
    connect_timeout: float = Field(15.0, gt=0, le=300, description="Seconds to reach and log in to the SSH server.")


class ConnectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, description="SQLAlchemy URL without the password (or with it, not recommended).")
    driver: str | None = Field(None, description="postgres, mysql, mariadb or sqlite (when no url is given).")
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    database: str | None = None
    user: str | None = None
    password_env: str | None = Field(None, description="Environment variable holding the password.")
    password_store: str | None = Field(
        None, description="Name of a connection saved with `vozbd db add` whose encrypted password is used."
    )
    tls: TlsConfig | None = None
    ssh: SshConfig | None = None
    policy: ConnectionPolicy = Field(default_factory=ConnectionPolicy)

    @model_validator(mode="after")
    def _url_or_parts(self) -> ConnectionConfig:
        extras = self.tls or self.ssh or self.password_env or self.password_store or self.host or self.database
        if self.url is None and self.driver is None and extras:
            raise ValueError("give `url` or `driver` (+ host, port, database, user); without them only `policy`")
        if self.password_env and self.password_store:
            raise ValueError("give either `password_env` or `password_store`, not both")
        return self

    @property
    def declares_url(self) -> bool:
        return self.url is not None or self.driver is not None


def _env(name: str | None, environ: Mapping[str, str], what: str) -> str | None:
    if not name:
        return None
    if name not in environ:
        raise ConfigError(f"{what}: environment variable {name} is not set")
    return environ[name]


def _url(name: str, config: ConnectionConfig, registry: ConnectionRegistry, environ: Mapping[str, str]) -> URL:
    if config.url is not None:
        url = parse_url(config.url)
    else:
        driver = DRIVERS.get((config.driver or "").lower())
        if driver is None:
            raise ConfigError(f"connection {name}: unknown driver {config.driver!r} (use one of {sorted(DRIVERS)})")
        url = URL.create(driver, username=config.user, host=config.host, port=config.port, database=config.database)
    password = _env(config.password_env, environ, f"connection {name}")
    if config.password_store:
        password = registry.url_for(config.password_store).password
    return url.set(password=password) if password is not None else url


def _transport(name: str, config: ConnectionConfig, environ: Mapping[str, str]) -> Transport | None:
    tls = TlsOptions(**config.tls.model_dump()) if config.tls else None
    ssh = None
    if config.ssh is not None:
        s = config.ssh
        ssh = SshOptions(
            host=s.host,
            port=s.port,
            username=s.user,
            key_file=s.key_file,
            password=_env(s.password_env, environ, f"connection {name} (ssh)"),
            passphrase=_env(s.passphrase_env, environ, f"connection {name} (ssh key)"),
            jump_host=s.jump_host,
            known_hosts=s.known_hosts,
            check_host_key=s.check_host_key,
            config_file=s.config_file,
            connect_timeout_s=s.connect_timeout,
        )
    return Transport(tls=tls, ssh=ssh) if tls or ssh else None


def declare(
    connections: Mapping[str, ConnectionConfig],
    registry: ConnectionRegistry,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, DeclaredConnection], dict[str, ConnectionPolicy]]:
    """Declared connections (those with a URL) and the policies of every named connection (saved ones too)."""
    environ = os.environ if environ is None else environ
    declared: dict[str, DeclaredConnection] = {}
    policies: dict[str, ConnectionPolicy] = {}
    for name, config in connections.items():
        if not NAME_PATTERN.match(name):
            raise ConfigError(f"connection name {name!r}: use lower-case letters, digits, '_' or '-' (max 64)")
        policies[name] = config.policy
        if config.declares_url:
            declared[name] = DeclaredConnection(
                _url(name, config, registry, environ), _transport(name, config, environ)
            )
    return declared, policies
