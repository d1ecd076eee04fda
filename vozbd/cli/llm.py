"""``vozbd models list``: LLM providers, whether they are configured and reachable, and their models."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape

from vozbd.cli.layout import print_rows

console = Console(highlight=False)


REACH_LABEL = {"process": "no vozbd", "machine": "este computador", "network": "rede local", "internet": "internet"}


def _yes_no(value: bool | None) -> str:
    return {True: "[green]sim[/]", False: "[red]não[/]", None: "[dim]—[/]"}[value]


def models_list(json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """LLM providers: configured, reachable, the models they offer, and the model vozbd will use."""
    from agent.egress import model_destination
    from agent.llm.destination import destination
    from agent.llm.registry import PROVIDERS, provider_statuses
    from vozbd.cli.context import load_app

    app = load_app()
    statuses = provider_statuses(app.llm, check=True)
    default = app.agents.default_model()
    used = model_destination(default, app.llm)
    if json_output:
        where = {s.name: destination(f"{s.name}/", app.llm) for s in statuses}
        payload = {
            "default_model": default,
            "default_reach": used.reach if used else None,
            "providers": [
                {
                    **s.to_dict(),
                    "hosted": where[s.name].hosted,
                    "endpoint": where[s.name].endpoint,
                    "reach": where[s.name].reach,
                }
                for s in statuses
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    rows = []
    for status in statuses:
        example = f"{status.name}/{PROVIDERS[status.name].example_model}"
        models = ", ".join(status.models[:5]) + (" …" if len(status.models) > 5 else "")
        reach = destination(f"{status.name}/", app.llm).reach
        rows.append(
            [
                escape(status.name),
                REACH_LABEL[reach],
                _yes_no(status.configured),
                _yes_no(status.reachable),
                escape(example),
                escape(models or status.detail),
            ]
        )
    headers = ("provedor", "onde roda", "configurado", "acessível", "exemplo", "modelos / detalhe")
    print_rows(console, headers, rows)
    if used is not None:
        console.print(f"Modelo em uso: {escape(used.describe())}")
        if used.reach == "internet":
            console.print("[yellow]Perguntas, esquema e linhas de resultados vão para esse serviço (veja o README).[/]")
    else:
        from agent.llm.registry import CONFIGURE_MODEL_MESSAGE

        console.print(f"[yellow]{escape(CONFIGURE_MODEL_MESSAGE)}[/]")


def add_llm_commands(models_app: typer.Typer) -> None:
    """Add ``list`` to the ``vozbd models`` group (wired by the lead)."""
    models_app.command("list")(models_list)
