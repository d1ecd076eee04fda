"""URL parsing/normalisation, masking and dialect names for every supported database (no server needed)."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from tools.db.urls import dialect_of, mask_secrets, mask_url, mysql_flags, parse_url
from tools.errors import InvalidInputError

PASSWORD = "S3nh@Sup3r:Secreta/42"
ENCODED = "S3nh%40Sup3r%3ASecreta%2F42"


@pytest.mark.parametrize(
    ("raw", "driver", "dialect"),
    [
        ("postgres://u:p@db.example.com:5432/loja", "postgresql+psycopg", "postgres"),
        ("postgresql://u@localhost/loja", "postgresql+psycopg", "postgres"),
        ("postgresql+psycopg2://u@localhost/loja", "postgresql+psycopg", "postgres"),
        ("mysql://root@127.0.0.1:3306/loja", "mysql+pymysql", "mysql"),
        ("mariadb://root@127.0.0.1/loja", "mysql+pymysql", "mysql"),
        ("mysql+mysqldb://root@127.0.0.1/loja", "mysql+pymysql", "mysql"),
        ("oracle://scott:tiger@ora.example.com:1521/?service_name=FREEPDB1", "oracle+oracledb", "oracle"),
        ("mssql://sa:pw@sql.example.com:1433/vendas", "mssql+pymssql", "tsql"),
        ("sqlserver://sa:pw@sql.example.com/vendas", "mssql+pymssql", "tsql"),
        ("sqlite:////tmp/loja.sqlite", "sqlite", "sqlite"),
    ],
)
def test_parse_url_normalises_to_our_drivers(raw: str, driver: str, dialect: str) -> None:
    url = parse_url(raw)
    assert url.drivername == driver
    assert dialect_of(url) == dialect
    assert dialect_of(raw) == dialect


def test_parse_url_keeps_host_port_database_and_query() -> None:
    url = parse_url("oracle://scott:tiger@ora.example.com:1521/?service_name=FREEPDB1")
    assert (url.host, url.port, url.username, url.password) == ("ora.example.com", 1521, "scott", "tiger")
    assert url.query == {"service_name": "FREEPDB1"}
    mssql = parse_url("mssql://sa:pw@sql.example.com:1433/vendas")
    assert (mssql.host, mssql.port, mssql.database) == ("sql.example.com", 1433, "vendas")


def test_parse_url_decodes_encoded_password() -> None:
    url = parse_url(f"postgresql://app:{ENCODED}@h:5432/d")
    assert url.password == PASSWORD


def test_sqlite_relative_and_home_paths() -> None:
    assert parse_url("sqlite:///dados/loja.sqlite").database == "dados/loja.sqlite"
    assert not parse_url("sqlite:///~/loja.sqlite").database.startswith("~")


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "clientes", "http//broken", "mongodb://h/db", "redis://localhost", "sqlite://", "sqlite:///:memory:"],
)
def test_bad_urls_raise_invalid_input_in_portuguese(raw: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_url(raw)
    assert info.value.code == "invalid_input"
    assert any(word in info.value.message for word in ("URL", "banco", "SQLite", "suportado"))


def test_malformed_url_error_does_not_echo_password() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_url(f"postgresql://u:{PASSWORD}@host:notaport/db")
    assert PASSWORD not in info.value.message


@pytest.mark.parametrize(
    "raw",
    [
        f"postgresql://app:{ENCODED}@h:5432/d",
        f"mysql://app:{ENCODED}@h/d",
        f"oracle://app:{ENCODED}@h:1521/?service_name=X",
        f"mssql://app:{ENCODED}@h/d",
    ],
)
def test_mask_url_hides_password(raw: str) -> None:
    masked = mask_url(raw)
    assert "***" in masked
    assert PASSWORD not in masked and ENCODED not in masked
    assert PASSWORD not in mask_url(parse_url(raw))
    assert make_url(mask_url(parse_url(raw))).password == "***"


def test_mask_url_without_password_is_unchanged() -> None:
    assert mask_url("postgresql+psycopg://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"


def test_mask_secrets_removes_plain_and_encoded_passwords() -> None:
    url = f"postgresql://app:{ENCODED}@h:5432/d"
    text = f"FATAL: login for app with {PASSWORD!r} failed; dsn={url}; also {ENCODED} in a log; other://x:y@z"
    masked = mask_secrets(text, url)
    assert PASSWORD not in masked
    assert ENCODED not in masked
    assert "other://x:***@z" in masked  # any user:password@ in the text is masked too
    assert "FATAL: login for app" in masked


def test_mask_secrets_accepts_url_objects_and_none() -> None:
    url = parse_url("mysql://root:hunter2hunter@h/d")
    assert mask_secrets("wrong password hunter2hunter", url, None) == "wrong password ***"


def test_mask_secrets_short_password_only_replaced_as_a_word() -> None:
    masked = mask_secrets("password 'ab' rejected for database abc", "mysql://u:ab@h/d")
    assert masked == "password '***' rejected for database abc"


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ("ssl_disabled=false", {"ssl_disabled": False}),  # a string "false" is truthy: PyMySQL would turn TLS off
        ("ssl_disabled=true&ssl_verify_cert=0&ssl_verify_identity=no",
         {"ssl_disabled": True, "ssl_verify_cert": False, "ssl_verify_identity": False}),
        ("ssl_ca=/etc/ca.pem", {}),
    ],
)  # fmt: skip
def test_mysql_switches_in_the_url_are_real_booleans(query: str, flags: dict[str, bool]) -> None:
    assert mysql_flags(parse_url(f"mysql://leitor@db:3306/loja?{query}")) == flags


def test_a_mysql_switch_that_is_not_a_boolean_is_refused_in_portuguese() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_url("mysql://leitor@db:3306/loja?ssl_disabled=talvez")
    assert "Use true ou false" in caught.value.message
    assert caught.value.detail == {"reason": "option_not_boolean", "option": "ssl_disabled"}
