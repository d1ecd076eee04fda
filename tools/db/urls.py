"""Database URL helpers: parse + normalise to our drivers, mask passwords, name the sqlglot dialect."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, quote_plus

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from tools.errors import InvalidInputError

# URL scheme (without driver) -> (SQLAlchemy drivername we use, sqlglot dialect)
_SCHEMES: dict[str, tuple[str, str]] = {
    "sqlite": ("sqlite", "sqlite"),
    "postgres": ("postgresql+psycopg", "postgres"),
    "postgresql": ("postgresql+psycopg", "postgres"),
    "mysql": ("mysql+pymysql", "mysql"),
    "mariadb": ("mysql+pymysql", "mysql"),
    "oracle": ("oracle+oracledb", "oracle"),
    "mssql": ("mssql+pymssql", "tsql"),
    "sqlserver": ("mssql+pymssql", "tsql"),
}
_BACKEND_DIALECT = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}
_BACKEND_DIALECT |= {"oracle": "oracle", "mssql": "tsql"}

SUPPORTED_SCHEMES = ("sqlite", "postgresql", "mysql", "mariadb", "oracle", "mssql")

MASK = "***"

# Driver options an operator may put in a URL's query string, per scheme family. Anything else is refused: options
# such as PostgreSQL ``options=-c ...``, MySQL ``init_command``/``local_infile``/``client_flag`` or
# ``read_default_file`` change what the session may do before the first statement runs.
ALLOWED_OPTIONS: dict[str, frozenset[str]] = {
    "postgresql": frozenset(
        {
            "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcompression", "sslsni", "connect_timeout",
            "application_name", "target_session_attrs", "gssencmode", "channel_binding", "keepalives",
            "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "host", "port",
            "client_encoding",
        }
    ),
    "mysql": frozenset(
        {
            "charset", "collation", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert", "ssl_verify_identity",
            "ssl_disabled", "connect_timeout", "unix_socket",
        }
    ),
    "sqlite": frozenset(),
    "oracle": frozenset({"service_name", "mode", "encoding", "nencoding", "events"}),
    "mssql": frozenset({"charset", "tds_version", "login_timeout", "appname"}),
}  # fmt: skip
MYSQL_FLAG_OPTIONS = ("ssl_disabled", "ssl_verify_cert", "ssl_verify_identity")
"""PyMySQL switches a URL may set. SQLAlchemy hands URL query values to PyMySQL as strings and PyMySQL tests them
for truth, so ``?ssl_disabled=false`` turned TLS *off*: ``mysql_flags`` parses them to real booleans."""
_FLAG = TypeAdapter(bool)  # true/false, 1/0, yes/no, on/off, t/f, y/n
_PASSWORD_KEYS = ("password", "passwd", "pwd")
_QUERY_PASSWORD = re.compile(r"(?i)(?P<key>[?&;](?:password|passwd|pwd)=)(?P<pw>[^&;\s]+)")
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<at>@)")


def parse_url(text: str | URL) -> URL:
    """Parse a database URL and normalise its driver (``postgres://`` -> ``postgresql+psycopg://``, ...).

    Raises ``InvalidInputError`` (pt-BR) for anything that is not a supported database URL.
    """
    if isinstance(text, URL):
        url = text
    else:
        raw = (text or "").strip()
        if "://" not in raw:
            raise InvalidInputError(
                "Isso não parece uma URL de banco de dados. Use, por exemplo, "
                "postgresql://usuario:senha@host:5432/banco ou sqlite:///caminho/arquivo.sqlite.",
                detail={"reason": "not_a_url"},
            )
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError) as error:
            raise InvalidInputError(
                f"URL de banco de dados inválida: {mask_secrets(str(error), raw)}", detail={"reason": "malformed"}
            ) from None
    scheme = url.drivername.split("+", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise InvalidInputError(
            f"Tipo de banco '{scheme}' não suportado. Suportados: {', '.join(SUPPORTED_SCHEMES)}.",
            detail={"reason": "unsupported_dialect", "scheme": scheme},
        )
    url = _filter_options(url.set(drivername=_SCHEMES[scheme][0]))
    if scheme == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InvalidInputError(
                "Informe o caminho do arquivo SQLite, por exemplo sqlite:///dados/loja.sqlite.",
                detail={"reason": "sqlite_without_file"},
            )
        if not url.database.startswith("file:"):
            url = url.set(database=str(Path(url.database).expanduser()))
    return url


def _filter_options(url: URL) -> URL:
    """Move a ``?password=`` into the URL's password (so it is stored encrypted) and refuse unknown options."""
    query = dict(url.query)
    for key in _PASSWORD_KEYS:
        if key in query:
            value = query.pop(key)
            password = value[-1] if isinstance(value, tuple) else value
            if url.password and url.password != password:
                raise InvalidInputError(
                    "A URL tem duas senhas diferentes (antes do @ e em ?password=). Informe só uma.",
                    detail={"reason": "two_passwords"},
                )
            url = url.set(password=password)
    allowed = ALLOWED_OPTIONS.get(url.get_backend_name(), frozenset())
    refused = sorted(key for key in query if key.lower() not in allowed)
    if refused:
        listing = ", ".join(sorted(allowed)) or "nenhuma"
        raise InvalidInputError(
            f"Opção de conexão não permitida na URL: {', '.join(refused)}. Opções aceitas para este banco: {listing}.",
            detail={"reason": "option_not_allowed", "options": refused},
        )
    url = url.set(query=query)
    if url.get_backend_name() == "mysql":
        mysql_flags(url)  # refuse a switch that is not a boolean now, not at the first connection
    return url


def mysql_flags(url: URL) -> dict[str, bool]:
    """The ``MYSQL_FLAG_OPTIONS`` of a MariaDB/MySQL URL as booleans (driver arguments that replace the strings)."""
    flags: dict[str, bool] = {}
    for key in MYSQL_FLAG_OPTIONS:
        if key not in url.query:
            continue
        raw = url.query[key]
        value = raw[-1] if isinstance(raw, tuple) else raw
        try:
            flags[key] = _FLAG.validate_python(value)
        except ValidationError:
            raise InvalidInputError(
                f"Valor inválido para {key} na URL: {value!r}. Use true ou false.",
                detail={"reason": "option_not_boolean", "option": key},
            ) from None
    return flags


def dialect_of(url: str | URL) -> str:
    """The sqlglot dialect name for a URL: ``sqlite``, ``postgres``, ``mysql``, ``oracle`` or ``tsql``."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    backend = parsed.get_backend_name()
    if backend not in _BACKEND_DIALECT:
        raise InvalidInputError(f"Tipo de banco '{backend}' não suportado.", detail={"reason": "unsupported_dialect"})
    return _BACKEND_DIALECT[backend]


def mask_url(url: str | URL) -> str:
    """The URL as text with its password replaced by ``***`` (safe to print and log)."""
    if isinstance(url, URL):
        return _QUERY_PASSWORD.sub(lambda m: m["key"] + MASK, url.render_as_string(hide_password=True))
    try:
        rendered = make_url(url.strip()).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        rendered = _URL_PASSWORD.sub(lambda m: m["head"] + MASK + m["at"], url)
    return _QUERY_PASSWORD.sub(lambda m: m["key"] + MASK, rendered)


def _password_of(url: str | URL) -> str | None:
    if isinstance(url, URL):
        return url.password if isinstance(url.password, str) else None
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        match = _URL_PASSWORD.search(url)
        return match["pw"] if match else None
    return parsed.password if isinstance(parsed.password, str) else None


def mask_secrets(text: str, *urls: str | URL | None) -> str:
    """Remove every password from ``text``: the passwords of ``urls`` (plain and URL-encoded) and any
    ``scheme://user:password@`` found in the text itself.

    Passwords shorter than 4 characters are only replaced where they stand alone (not inside other
    words), so the rest of the message stays readable.
    """
    if not text:
        return text
    secrets: set[str] = set()
    for url in urls:
        if url is None:
            continue
        password = _password_of(url)
        if password:
            secrets |= {password, quote(password, safe=""), quote_plus(password), quote(password)}
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![\w]){re.escape(secret)}(?![\w])", MASK, text)
    text = _QUERY_PASSWORD.sub(lambda m: m["key"] + MASK, text)
    return _URL_PASSWORD.sub(lambda m: m["head"] + MASK + m["at"], text)
