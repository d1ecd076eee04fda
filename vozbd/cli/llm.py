"""``vozbd models list``: LLM providers, whether they are configured and reachable, and their models."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(highlight=False)


def _yes_no(value: bool | None) -> str:
    return {True: "[green]sim[/]", False: "[red]não[/]", None: "[dim]—[/]"}[value]


def models_list(json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """LLM providers: configured, reachable, the models they offer, and the model vozbd will use."""
    from agent.llm.registry import PROVIDERS, provider_statuses
    from vozbd.cli.context import load_app

    app = load_app()
    statuses = provider_statuses(app.llm, check=True)
    default = app.agents.default_model()
    if json_output:
        payload = {"default_model": default, "providers": [s.to_dict() for s in statuses]}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    table = Table(header_style="bold")
    for column in ("provedor", "configurado", "acessível", "exemplo", "modelos / detalhe"):
        table.add_column(column)
    for status in statuses:
        example = f"{status.name}/{PROVIDERS[status.name].example_model}"
        models = ", ".join(status.models[:5]) + (" …" if len(status.models) > 5 else "")
        table.add_row(
            status.name,
            _yes_no(status.configured),
            _yes_no(status.reachable),
            escape(example),
            escape(models or status.detail),
        )
    console.print(table)
    if default:
        console.print(f"Modelo em uso: [bold]{escape(default)}[/]")
    else:
        from agent.llm.registry import CONFIGURE_MODEL_MESSAGE

        console.print(f"[yellow]{escape(CONFIGURE_MODEL_MESSAGE)}[/]")


def add_llm_commands(models_app: typer.Typer) -> None:
    """Add ``list`` to the ``vozbd models`` group (wired by the lead)."""
    models_app.command("list")(models_list)
