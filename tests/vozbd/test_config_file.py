"""The TOML config file in the data dir: read from any working directory, overridden by env vars and flags;
declared connections with their policy reach the tools; `vozbd config path|show` masks secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tools.policy import MASK
from tools.registry import get_tool
from vozbd.cli.app import app
from vozbd.connections_config import ConfigError
from vozbd.settings import Settings
from vozbd.wiring import build_tool_context

SECRET = "s3nha-do-toml"
CONFIG = f"""
max_rows = 77
log_level = "WARNING"

[connections.demo.policy]
denied_columns = ["clientes.cpf"]
masked_columns = ["*.email"]

[connections.loja]
url = "postgresql+psycopg://leitor:{SECRET}@127.0.0.1:5432/loja"

[connections.erp]
driver = "postgres"
host = "db.interno"
database = "erp"
user = "leitor"
password_env = "VOZBD_TEST_ERP_PASSWORD"
tls = {{ mode = "verify-full", ca_file = "/etc/ssl/ca.pem" }}
policy = {{ max_rows = 10, denied_tables = ["*_auditoria"] }}
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(CONFIG)
    for name in ("VOZBD_MAX_ROWS", "VOZBD_CONFIG_FILE", "VOZBD_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(data))
    monkeypatch.setenv("VOZBD_TEST_ERP_PASSWORD", "senha-do-erp")
    monkeypatch.chdir(tmp_path)  # not the data dir: the file must be found anyway
    return data


def test_file_in_the_data_dir_is_read_and_env_and_flags_override_it(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None)
    assert settings.max_rows == 77 and settings.config_path == data_dir / "config.toml"
    assert set(settings.connections) == {"demo", "loja", "erp"}
    monkeypatch.setenv("VOZBD_MAX_ROWS", "12")
    assert Settings(_env_file=None).max_rows == 12
    assert Settings(_env_file=None, max_rows=5).max_rows == 5  # flags win over env and file
    other = data_dir / "outro.toml"
    other.write_text("max_rows = 33\n")
    monkeypatch.setenv("VOZBD_CONFIG_FILE", str(other))
    monkeypatch.delenv("VOZBD_MAX_ROWS")
    assert Settings(_env_file=None).max_rows == 33


def test_declared_connections_and_policies_reach_the_tools(data_dir: Path) -> None:
    ctx = build_tool_context(Settings(_env_file=None))
    names = [c.name for c in get_tool("list_connections").run(ctx).connections]  # type: ignore[attr-defined]  # tool results are typed as BaseModel; this one has the field
    assert names[:3] == ["demo", "erp", "loja"]
    erp = ctx.declared_connections["erp"]
    assert erp.url.password == "senha-do-erp" and erp.url.host == "db.interno"
    assert erp.transport is not None and erp.transport.tls is not None
    assert erp.transport.tls.connect_args("postgres")["sslrootcert"] == "/etc/ssl/ca.pem"
    listing = get_tool("list_connections").run(ctx)
    assert SECRET not in listing.to_text() and "senha-do-erp" not in listing.model_dump_json()  # type: ignore[attr-defined]  # tool results are typed as BaseModel; this one has the field
    rows = get_tool("run_query").run(ctx, sql="SELECT email FROM clientes LIMIT 2").rows  # type: ignore[attr-defined]  # tool results are typed as BaseModel; this one has the field
    assert rows == [[MASK], [MASK]]
    assert ctx.column_filter is not None and not ctx.column_filter("demo", "clientes", "email")
    assert ctx.column_filter("demo", "clientes", "nome")


def test_missing_password_variable_is_a_clear_error(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOZBD_TEST_ERP_PASSWORD")
    with pytest.raises(ConfigError, match="VOZBD_TEST_ERP_PASSWORD"):
        build_tool_context(Settings(_env_file=None))


def test_config_path_and_show(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_SECRET_KEY", "chave-secreta-do-teste")
    runner = CliRunner()
    path = runner.invoke(app, ["config", "path"])
    assert path.exit_code == 0 and path.stdout.strip() == str(data_dir / "config.toml")
    shown = runner.invoke(app, ["config", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    assert SECRET not in shown.stdout and "chave-secreta-do-teste" not in shown.stdout
    data = json.loads(shown.stdout)
    assert data["config_file"] == str(data_dir / "config.toml") and data["settings"]["max_rows"] == 77
    assert data["settings"]["connections"]["loja"]["url"].startswith("postgresql+psycopg://leitor:***@")
    assert data["settings"]["secret_key"] == "**********"
    readable = runner.invoke(app, ["config", "show"])
    assert readable.exit_code == 0 and SECRET not in readable.stdout


def test_invalid_file_is_a_usage_error(data_dir: Path) -> None:
    (data_dir / "config.toml").write_text("[connections.x]\nsem_sentido = 1\n")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 2 and "sem_sentido" in result.output


def test_the_readme_example_is_a_valid_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Configuration file, connections and policies", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "config.toml"
    path.write_text(example)
    monkeypatch.delenv("VOZBD_DATA_DIR", raising=False)
    settings = Settings(_env_file=None, config_file=path, data_dir=tmp_path)
    assert settings.default_db == "erp" and settings.max_rows == 500
    erp = settings.connections["erp"]
    assert erp.policy.masked_columns == ["*.cpf", "*.email", "*.telefone"] and erp.tls is not None
    assert settings.connections["legado"].ssh is not None and not settings.connections["demo"].policy.samples
