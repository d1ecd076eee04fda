"""Classify driver exceptions into stable reason codes (host unreachable, auth failed, ...) with pt-BR messages.

Drivers report failures as free text or numeric codes; the patterns below are the documented ones of
psycopg/libpq, PyMySQL/MariaDB, sqlite3, oracledb and pymssql.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# (reason, regex over "<exception class> <message>"), first match wins.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        ("tls_failed", r"certificate verify failed|ssl error|tlsv1 alert|sslv3 alert|does not match host name|"
                       r"hostname mismatch|server does not support ssl|no encryption|requires a valid client "
                       r"certificate|insecure transport|ssl connection is required|root certificate file|"
                       r"could not load private key|certificate file .* does not exist|wrong version number"),
        ("timeout", r"timeout expired|timed out|\(2013,|lost connection .* during query|DPY-4011|ORA-12170|"
                    r"canceling statement due to statement timeout"),
        ("auth_failed", r"password authentication failed|authentication failed|role \".*\" does not exist|"
                        r"no password supplied|\(1045,|\(1044,|\(1698,|access denied|ORA-01017|\b18456\b|"
                        r"no pg_hba\.conf entry|login failed"),
        ("unknown_database", r"database \".*\" does not exist|\(1049,|unknown database|unable to open database file|"
                             r"ORA-12514|DPY-6001|\b4060\b|cannot open database"),
        ("host_unreachable", r"connection refused|could not connect|can't connect|could not translate host name|"
                             r"name or service not known|no route to host|network is unreachable|\(2003,|\(2005,|"
                             r"\(2006,|DPY-6005|ORA-12541|\b20009\b|unable to connect|temporary failure in name"),
    )
)  # fmt: skip

_MESSAGES = {
    "host_unreachable": (
        "Não foi possível alcançar o servidor de banco em {url}: confira host, porta e se ele está no ar."
    ),
    "auth_failed": "O banco em {url} recusou o usuário ou a senha.",
    "tls_failed": (
        "A conexão TLS com o banco em {url} falhou: confira o modo TLS (sslmode), a CA que assina o certificado "
        "do servidor, o nome do host e o certificado do cliente."
    ),
    "unknown_database": "O banco de dados indicado em {url} não existe.",
    "timeout": "O banco em {url} não respondeu a tempo.",
    "driver_missing": "O driver Python deste banco não está instalado.",
    "error": "Falha ao conectar ao banco em {url}.",
}


def classify_error(exc: BaseException) -> str:
    """A reason code for a connection failure: tls_failed, timeout, auth_failed, unknown_database, host_unreachable
    or error."""
    if isinstance(exc, PoolTimeoutError | TimeoutError):
        return "timeout"
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    haystack = f"{type(orig).__name__} {' '.join(str(a) for a in getattr(orig, 'args', ()))} {orig}"
    for reason, pattern in _PATTERNS:
        if pattern.search(haystack):
            return reason
    if isinstance(orig, ConnectionRefusedError):
        return "host_unreachable"
    return "error"


def reason_message(reason: str, masked_url: str) -> str:
    """The pt-BR sentence for a reason code (the URL must already be masked)."""
    return _MESSAGES.get(reason, _MESSAGES["error"]).format(url=masked_url)
