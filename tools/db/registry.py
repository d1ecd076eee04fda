"""Saved database connections; passwords encrypted with Fernet (``cryptography``).

Stored in a small SQLite file (the single-user default) or, given ``database`` (an engine opener), in the
``saved_connections`` table of that database — the app database when it is PostgreSQL, so every replica sees
the same adds and deletes. Either way a row holds the name, dialect and URL *without* password; the password
is stored as a Fernet token. The key comes from ``secret_key`` (a Fernet key string) or from ``key_file``
(created 0600 on first use): replicas sharing a table must share the key (``VOZBD_SECRET_KEY``).
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel
from sqlalchemy import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from tools.db.transport import SshOptions
from tools.db.urls import dialect_of, mask_url, parse_url
from tools.errors import InvalidInputError, ToolError, UnknownConnectionError

log = logging.getLogger(__name__)

DEMO_NAME = "demo"
NAME_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    name TEXT PRIMARY KEY,
    dialect TEXT NOT NULL,
    url TEXT NOT NULL,
    password_token TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    allow_privileged INTEGER NOT NULL DEFAULT 0,
    ssh TEXT
)
"""
# Columns added after the first release: a registry written by an older version gets them on open.
_MIGRATIONS = {
    "allow_privileged": "ALTER TABLE connections ADD COLUMN allow_privileged INTEGER NOT NULL DEFAULT 0",
    "ssh": "ALTER TABLE connections ADD COLUMN ssh TEXT",
}
metadata = sa.MetaData()
"""The shared table's schema (the app database's migrations create it: ``vozbd.appdb.models.all_metadata``)."""

saved_connections = sa.Table(
    "saved_connections",
    metadata,
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("dialect", sa.String(32), nullable=False),
    sa.Column("url", sa.Text, nullable=False, comment="The database URL without its password."),
    sa.Column("password_token", sa.Text, nullable=True, comment="The password, Fernet-encrypted."),
    sa.Column("allow_privileged", sa.Boolean, nullable=False),
    sa.Column("ssh", sa.Text, nullable=True, comment="SSH tunnel options as JSON (no secret)."),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("name", name="pk_saved_connections"),
)
"""The table in a shared database (created by the app database's migration 0005)."""

Row = tuple[str, str, str, str | None, int, str | None]
"""name, dialect, url without password, password token, allow_privileged, ssh (JSON)."""
_FIELDS = ("name", "dialect", "url", "password_token", "allow_privileged", "ssh")

_SSH_FIELDS = ("host", "port", "username", "key_file", "known_hosts")
"""What a saved connection keeps of its SSH tunnel (``db add --ssh``): no secret (keys stay in their files)."""


class SecretKeyError(ToolError):
    """The stored passwords cannot be decrypted with the current key (the key changed) or the key is invalid."""

    code = "secret_key_error"


class RegistryError(ToolError):
    """The registry file cannot be opened (not a SQLite file, no permission, ...)."""

    code = "registry_error"


@dataclass(frozen=True)
class SavedConnection:
    url: URL = field(repr=False)
    """With the decrypted password: never print or log it."""
    allow_privileged: bool
    ssh: SshOptions | None


class ConnectionInfo(BaseModel):
    """A saved connection as shown to users and LLMs: never contains a password."""

    name: str
    dialect: str
    masked_url: str
    is_demo: bool = False
    allow_privileged: bool = False
    """True when the operator accepted a login with more than read privileges (``db add --allow-privileged``)."""


def validate_name(name: str) -> str:
    if name == DEMO_NAME:
        raise InvalidInputError("O nome 'demo' é reservado para o banco de demonstração. Escolha outro nome.")
    if not NAME_PATTERN.match(name or ""):
        raise InvalidInputError(
            f"Nome de conexão inválido: '{name}'. Use de 1 a 64 caracteres: letras minúsculas, números, '_' ou '-'."
        )
    return name


def _load_or_create_key(key_file: Path) -> bytes:
    if key_file.exists():
        mode = stat.S_IMODE(key_file.stat().st_mode)
        if mode & 0o077:
            log.warning("secret key file %s has loose permissions %o; run: chmod 600 %s", key_file, mode, key_file)
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    os.chmod(key_file, 0o600)
    log.info("created secret key file %s", key_file)
    return key


class _DuplicateName(Exception):
    pass


class _FileStore:
    """The SQLite file (one machine): each call opens its own short-lived connection."""

    def __init__(self, path: Path):
        self.path = path
        self._initialised = False

    def _connect(self) -> sqlite3.Connection:
        try:
            if not self._initialised:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            conn = sqlite3.connect(self.path, timeout=10)
            if not self._initialised:
                os.chmod(self.path, 0o600)  # holds hosts/users and encrypted passwords: owner only
                with conn:
                    conn.execute(_SCHEMA)
                    columns = {row[1] for row in conn.execute("PRAGMA table_info(connections)")}
                    for column, statement in _MIGRATIONS.items():
                        if column not in columns:
                            conn.execute(statement)
                self._initialised = True
        except (sqlite3.Error, OSError) as error:
            log.error("cannot open connection registry %s: %s", self.path, error)
            raise RegistryError(
                f"Não foi possível abrir o arquivo de conexões salvas ({self.path}): {error}. "
                "Confira o caminho (VOZBD_REGISTRY_PATH/VOZBD_DATA_DIR) e as permissões.",
                detail={"path": str(self.path)},
            ) from None
        return conn

    def insert(self, row: Row) -> None:
        with closing(self._connect()) as conn, conn:
            try:
                conn.execute(
                    "INSERT INTO connections(name, dialect, url, password_token, allow_privileged, ssh) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.IntegrityError:
                raise _DuplicateName from None

    def delete(self, name: str) -> int:
        with closing(self._connect()) as conn, conn:
            return int(conn.execute("DELETE FROM connections WHERE name = ?", (name,)).rowcount)

    def rows(self) -> builtins.list[Row]:
        with closing(self._connect()) as conn:
            return conn.execute(f"SELECT {', '.join(_FIELDS)} FROM connections ORDER BY name").fetchall()

    def row(self, name: str) -> Row | None:
        with closing(self._connect()) as conn:
            found: Row | None = conn.execute(
                f"SELECT {', '.join(_FIELDS)} FROM connections WHERE name = ?", (name,)
            ).fetchone()
            return found

    def names(self) -> builtins.list[str]:
        with closing(self._connect()) as conn:
            return [r[0] for r in conn.execute("SELECT name FROM connections ORDER BY name")]


class _SqlStore:
    """The ``saved_connections`` table of a shared database, opened (and migrated) on first use."""

    def __init__(self, open_engine: Callable[[], Engine]):
        self._open = open_engine
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._open()  # raises RegistryError when unreachable; retried on the next call
            return self._engine

    def _run(self, work: Callable[[sa.Connection], Any], *, write: bool = False) -> Any:
        engine = self.engine()
        try:
            with engine.begin() if write else engine.connect() as db:
                return work(db)
        except IntegrityError:
            raise _DuplicateName from None
        except SQLAlchemyError as error:
            log.error("connection registry in the app database unavailable: %s", type(error).__name__)
            raise RegistryError(
                "Não foi possível acessar as conexões salvas no banco do aplicativo (VOZBD_DATABASE_URL); "
                "tente novamente em alguns segundos.",
                detail={"reason": type(error).__name__},
            ) from None

    @staticmethod
    def _plain(row: Any) -> Row:
        return (row[0], row[1], row[2], row[3], int(bool(row[4])), row[5])

    def insert(self, row: Row) -> None:
        values: dict[str, Any] = dict(zip(_FIELDS, row, strict=True))
        values["allow_privileged"] = bool(values["allow_privileged"])
        self._run(lambda db: db.execute(saved_connections.insert(), values), write=True)

    def delete(self, name: str) -> int:
        statement = saved_connections.delete().where(saved_connections.c.name == name)
        return int(self._run(lambda db: db.execute(statement).rowcount, write=True) or 0)

    def rows(self) -> builtins.list[Row]:
        statement = sa.select(*(saved_connections.c[f] for f in _FIELDS)).order_by(saved_connections.c.name)
        return [self._plain(r) for r in self._run(lambda db: db.execute(statement).all())]

    def row(self, name: str) -> Row | None:
        columns = (saved_connections.c[f] for f in _FIELDS)
        statement = sa.select(*columns).where(saved_connections.c.name == name)
        found = self._run(lambda db: db.execute(statement).first())
        return self._plain(found) if found is not None else None

    def names(self) -> builtins.list[str]:
        statement = sa.select(saved_connections.c.name).order_by(saved_connections.c.name)
        return [r[0] for r in self._run(lambda db: db.execute(statement).all())]


class ConnectionRegistry:
    """Saved connections. Thread-safe.

    ``database``: an opener of the shared database holding ``saved_connections`` (called on first use, again
    after a failure); without it the connections live in the SQLite file at ``path``.
    """

    def __init__(
        self,
        path: Path | str,
        secret_key: str | None = None,
        key_file: Path | str | None = None,
        *,
        database: Callable[[], Engine] | None = None,
    ):
        self.path = Path(path).expanduser()
        self._secret_key = secret_key
        self._key_file = Path(key_file).expanduser() if key_file else None
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()
        self._store: _FileStore | _SqlStore = _SqlStore(database) if database is not None else _FileStore(self.path)

    @property
    def shared(self) -> bool:
        """True when the connections live in a shared database (every replica sees the same ones)."""
        return isinstance(self._store, _SqlStore)

    def _cipher(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                if self._secret_key:
                    key = self._secret_key.encode()
                elif self._key_file:
                    key = _load_or_create_key(self._key_file)
                else:
                    raise SecretKeyError(
                        "Nenhuma chave secreta configurada para criptografar senhas (defina VOZBD_SECRET_KEY)."
                    )
                try:
                    self._fernet = Fernet(key)
                except ValueError:
                    raise SecretKeyError(
                        "A chave secreta configurada é inválida (esperado: uma chave Fernet em base64)."
                    ) from None
            return self._fernet

    # --- public API ---------------------------------------------------------------------
    def add(
        self, name: str, url: str | URL, *, allow_privileged: bool = False, ssh: SshOptions | None = None
    ) -> ConnectionInfo:
        """Save a connection. Raises ``InvalidInputError`` for a bad name/URL or a duplicate name.

        ``allow_privileged`` stores the operator's explicit acceptance of a login with more than read privileges;
        ``ssh`` an SSH tunnel to reach the server through (host, port, user, key and known-hosts files only).
        """
        validate_name(name)
        parsed = parse_url(url)
        if ssh is not None and dialect_of(parsed) == "sqlite":
            raise InvalidInputError("Um túnel SSH só serve para servidores de banco; SQLite é um arquivo local.")
        if ssh is not None and (ssh.password or ssh.passphrase):
            raise InvalidInputError("Senhas SSH não são salvas com a conexão: use uma chave (ou o agente SSH).")
        ssh_json = json.dumps({k: _plain(getattr(ssh, k)) for k in _SSH_FIELDS}) if ssh is not None else None
        password = parsed.password if isinstance(parsed.password, str) else None
        token = self._cipher().encrypt(password.encode()).decode() if password else None
        # NB: URL.set(password=None) means "unchanged" in SQLAlchemy, so rebuild the URL without it.
        bare = URL.create(
            parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
        )
        stored = bare.render_as_string(hide_password=False)
        try:
            self._store.insert((name, dialect_of(parsed), stored, token, int(allow_privileged), ssh_json))
        except _DuplicateName:
            raise InvalidInputError(
                f"Já existe uma conexão chamada '{name}'. Remova-a antes ou escolha outro nome.",
                code="connection_exists",  # HTTP 409 (vozbd.api.errors); still a usage error for the CLI
                detail={"connection": name},
            ) from None
        if allow_privileged:
            log.warning("connection %s saved with allow_privileged: the validator is its only boundary", name)
        log.info("saved connection %s (%s)%s", name, mask_url(parsed), f" via SSH {ssh.host}" if ssh else "")
        return ConnectionInfo(
            name=name, dialect=dialect_of(parsed), masked_url=mask_url(parsed), allow_privileged=allow_privileged
        )

    def remove(self, name: str) -> None:
        if name == DEMO_NAME:  # built in, never saved: "not found ... (além de 'demo')" contradicted itself
            raise InvalidInputError("O banco de demonstração 'demo' é embutido e não pode ser removido.")
        if not self._store.delete(name):
            raise self._unknown(name)
        log.info("removed connection %s", name)

    def list(self) -> builtins.list[ConnectionInfo]:
        return [self._info(*row[:5]) for row in self._store.rows()]

    def names(self) -> builtins.list[str]:
        return self._store.names()

    def get(self, name: str) -> ConnectionInfo:
        return self._info(*self._row(name)[:5])

    def ssh_for(self, name: str) -> SshOptions | None:
        """The SSH tunnel saved with the connection (``db add --ssh``), or None."""
        return self._ssh(self._row(name)[5])

    @staticmethod
    def _ssh(stored: str | None) -> SshOptions | None:
        if not stored:
            return None
        values = json.loads(stored)
        for key in ("key_file", "known_hosts"):
            values[key] = Path(values[key]) if values.get(key) else None
        return SshOptions(**{k: values.get(k) for k in _SSH_FIELDS})

    def saved(self, name: str) -> SavedConnection:
        """What opening the saved connection needs, read at once: the URL with its decrypted password (never print
        or log it), the privileged-login acceptance and the SSH tunnel."""
        row = self._row(name)
        return SavedConnection(self._url(name, row[2], row[3]), bool(row[4]), self._ssh(row[5]))

    def url_for(self, name: str) -> URL:
        """The saved URL with its decrypted password. Internal use only: never print or log it."""
        _, _, url, token, _, _ = self._row(name)
        return self._url(name, url, token)

    def _url(self, name: str, url: str, token: str | None) -> URL:
        parsed = make_url(url)
        if token:
            try:
                password = self._cipher().decrypt(token.encode()).decode()
            except InvalidToken:
                raise SecretKeyError(
                    f"Não foi possível descriptografar a senha da conexão '{name}': a chave secreta mudou "
                    "desde que ela foi salva. Restaure a chave antiga (VOZBD_SECRET_KEY ou o arquivo secret.key) "
                    "ou remova e adicione a conexão de novo.",
                    detail={"connection": name},
                ) from None
            parsed = parsed.set(password=password)
        return parsed

    # --- helpers ------------------------------------------------------------------------
    def _row(self, name: str) -> Row:
        row = self._store.row(name)
        if row is None:
            raise self._unknown(name)
        return row

    def _unknown(self, name: str) -> UnknownConnectionError:
        saved = self.names()
        listing = ", ".join(saved) if saved else "nenhuma"
        return UnknownConnectionError(
            f"Conexão '{name}' não encontrada. Conexões salvas: {listing} (além de 'demo').",
            detail={"connection": name, "saved": saved},
        )

    @staticmethod
    def _info(name: str, dialect: str, url: str, token: str | None, allow_privileged: int = 0) -> ConnectionInfo:
        parsed = make_url(url)
        if token:
            parsed = parsed.set(password="***")
        return ConnectionInfo(
            name=name, dialect=dialect, masked_url=mask_url(parsed), allow_privileged=bool(allow_privileged)
        )


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Path) else value
