"""``vozbd config path|show``: where the configuration is read from and what it resolves to (secrets masked)."""

from __future__ import annotations

import json
from typing import Any

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console

from vozbd.cli.errors import EXIT_USAGE, err_console

console = Console(highlight=False)
config_app = typer.Typer(
    help="Where vozbd reads its configuration from, and the values in effect.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def _settings() -> Any:
    from vozbd.wiring import load_settings

    try:
        return load_settings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        err_console.print(f"Configuração inválida: {problems}")
        raise typer.Exit(EXIT_USAGE) from None


def _masked(value: Any) -> Any:
    from tools.db.urls import mask_url

    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return value


def effective(settings: Any) -> dict[str, Any]:
    """Every setting as JSON-safe values, secrets and URL passwords masked."""
    values = {name: getattr(settings, name) for name in type(settings).model_fields}
    values["connections"] = {
        n: c.model_dump(mode="json", exclude_defaults=True) for n, c in settings.connections.items()
    }
    return json.loads(json.dumps(_masked(values), default=str))


@config_app.command("path")
def path() -> None:
    """Print the config file path (DATA_DIR/config.toml unless VOZBD_CONFIG_FILE says otherwise)."""
    settings = _settings()
    where = settings.config_path
    console.print(str(where))
    note = "existe" if where.is_file() else "não existe (crie-o para declarar conexões e ajustes)"
    err_console.print(f"[dim]{note}; variáveis VOZBD_* e opções da linha de comando têm prioridade sobre ele.[/dim]")


@config_app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="JSON instead of a readable listing.")) -> None:
    """Print the settings in effect (file + environment + defaults), with secrets masked."""
    settings = _settings()
    values = effective(settings)
    if as_json:
        typer.echo(json.dumps({"config_file": str(settings.config_path), "settings": values}, indent=2))
        return
    exists = "" if settings.config_path.is_file() else " (não existe)"
    console.print(f"# arquivo de configuração: {settings.config_path}{exists}")
    for name, value in values.items():
        console.print(f"{name} = {json.dumps(value, ensure_ascii=False)}", markup=False)
