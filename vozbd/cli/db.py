"""``vozbd db add/list/test/remove`` and ``vozbd demo export``: saved database connections."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from tools.db.transport import ssh_destination
from tools.errors import InvalidInputError, PrivilegedConnectionError
from vozbd.cli.errors import EXIT_DATABASE, cli_errors
from vozbd.cli.layout import print_rows
from vozbd.cli.password import read_password

if TYPE_CHECKING:
    from tools.context import ToolContext
    from tools.db.transport import SshOptions

db_app = typer.Typer(help="Manage saved database connections (passwords stored encrypted).", no_args_is_help=True)
demo_app = typer.Typer(help="The bundled pt-BR demo database.", no_args_is_help=True)
console = Console(highlight=False)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object instead of a table.")
PRIVILEGED_WARNING = (
    "Atenção: esta conexão aceita um login com privilégios além de leitura (--allow-privileged). "
    "O validador de SQL é a única barreira; prefira um login só de leitura (vozbd db create-readonly-user)."
)


def _context() -> ToolContext:
    from vozbd.cli.context import load_app

    return load_app().tool_ctx


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False))


@db_app.command("add")
def add(
    name: str = typer.Argument(
        ..., help="Connection name: lowercase letters, digits, '_' or '-' (max 64).", metavar="NAME"
    ),
    url: str = typer.Argument(..., help="Database URL, e.g. postgresql://user:password@host:5432/db", metavar="URL"),
    no_test: bool = typer.Option(False, "--no-test", help="Save without trying to connect."),
    ask_password: bool = typer.Option(
        False,
        "--ask-password",
        help="Prompt for the password (hidden) instead of writing it in the URL. Without a terminal (pipe, CI) "
        "the password is read from stdin instead, one trailing newline dropped: "
        "printf '%s' \"$PW\" | vozbd db add NAME URL --ask-password.",
    ),
    allow_privileged: bool = typer.Option(
        False,
        "--allow-privileged",
        help="Accept a login with more than read privileges (superuser, file access, writes). Risky: the "
        "SQL validator is then the only barrier. Prefer 'vozbd db create-readonly-user'.",
    ),
    ssh: str | None = typer.Option(
        None,
        "--ssh",
        metavar="HOST",
        help="Reach the database through an SSH tunnel: [user@]host[:port] or a Host alias of ~/.ssh/config "
        "(the URL's host and port are then as the SSH server sees them, often 127.0.0.1).",
    ),
    ssh_key: Path | None = typer.Option(
        None, "--ssh-key", metavar="PATH", help="Private key for --ssh (default: the SSH agent, ~/.ssh/config)."
    ),
    ssh_known_hosts: Path | None = typer.Option(
        None,
        "--ssh-known-hosts",
        metavar="PATH",
        help="Trusted host keys for --ssh (default: ~/.ssh/known_hosts).",
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Save a connection (the password is encrypted) and test it; an unreachable database is still saved.

    A login that may do more than read (superuser, server files, writes, other databases) is refused and not
    saved, with the command that creates a read-only one; --allow-privileged accepts it explicitly.
    With --ssh the connection goes through an SSH tunnel (key or agent; host key checked against known_hosts).
    """
    from tools.db.connect import resolve_connection, test_connection
    from tools.db.urls import parse_url

    with cli_errors(json_output):
        ctx = _context()
        parsed = parse_url(url)
        tunnel = ssh_options(ssh, ssh_key, ssh_known_hosts)
        if ask_password:
            parsed = parsed.set(password=read_password())
        info = ctx.registry.add(name, parsed, allow_privileged=allow_privileged, ssh=tunnel)
        result = None if no_test else test_connection(ctx, resolve_connection(ctx, name))
        if result is not None and result.reason_code == "privileged":
            ctx.registry.remove(name)
            raise PrivilegedConnectionError(
                result.message + " A conexão não foi salva.", detail={"connection": name, "reason": "privileged"}
            )
        if json_output:
            saved = info.model_dump() | ({"ssh": ssh_destination(tunnel)} if tunnel else {})
            _emit({"saved": saved, "test": result.model_dump() if result else None})
            return
        console.print(f"[green]Conexão '{info.name}' salva:[/] {info.masked_url}")
        if tunnel is not None:
            console.print(f"via túnel SSH {ssh_destination(tunnel)}")
        if allow_privileged:
            console.print(f"[bold red]{PRIVILEGED_WARNING}[/]")
        if result is None:
            return
        if result.ok:
            console.print(f"[green]✓[/] {result.message}")
            for warning in result.warnings:
                console.print(f"[yellow]Aviso:[/] {warning}")
        else:
            console.print(f"[yellow]Aviso:[/] a conexão foi salva, mas o teste falhou ({result.reason_code}).")
            console.print(result.message)


def ssh_options(destination: str | None, key: Path | None, known_hosts: Path | None) -> SshOptions | None:
    """``--ssh``/``--ssh-key``/``--ssh-known-hosts`` as the tunnel to save (None without ``--ssh``)."""
    from tools.db.transport import saved_tunnel

    if destination is None:
        if key is not None or known_hosts is not None:
            raise InvalidInputError("--ssh-key e --ssh-known-hosts só valem junto com --ssh HOST.")
        return None
    return saved_tunnel(destination, key, known_hosts)


@db_app.command("list")
def list_(json_output: bool = JSON_OPTION) -> None:
    """List saved connections (and the bundled demo database); passwords are never shown."""
    from tools.connections import ListConnectionsInput, list_connections

    with cli_errors(json_output):
        ctx = _context()
        result = list_connections(ListConnectionsInput(), ctx)
        tunnels = {name: ssh for name in ctx.registry.names() if (ssh := ctx.registry.ssh_for(name)) is not None}
        if json_output:
            payload = result.model_dump()
            for info in payload["connections"]:
                if info["name"] in tunnels:
                    info["ssh"] = ssh_destination(tunnels[info["name"]])
            _emit(payload)
            return
        rows = []
        for info in result.connections:
            marks = ["padrão"] * (info.name == result.default) + ["[red]⚠ login privilegiado permitido[/]"] * (
                info.allow_privileged and not info.is_demo
            )
            if info.name in tunnels:
                marks.append(f"via SSH {escape(ssh_destination(tunnels[info.name]))}")
            rows.append([escape(info.name), info.dialect, escape(info.masked_url), ", ".join(marks)])
        print_rows(console, ("Nome", "Dialeto", "URL", "observações"), rows, title="Conexões")


@db_app.command("test")
def test(
    name_or_url: str = typer.Argument(
        None, help="Saved name, 'demo' or a database URL (default: the default).", metavar="NAME_OR_URL"
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Connect and print the server version and latency, or the reason it failed (exit code 4)."""
    from tools.db.connect import resolve_connection, test_connection

    with cli_errors(json_output):
        ctx = _context()
        if name_or_url and "://" in name_or_url:  # the operator typed this URL
            ctx = replace(ctx, operator_urls=(name_or_url,))
        conn = resolve_connection(ctx, name_or_url)
        result = test_connection(ctx, conn)
        if json_output:
            _emit({"connection": conn.name, "masked_url": conn.masked_url, **result.model_dump()})
        elif result.ok:
            console.print(f"[green]✓ {conn.name}[/]: {result.server_version} — {result.latency_ms:.0f} ms")
            if conn.allow_privileged and not conn.is_demo and conn.dialect in ("postgres", "mysql"):
                console.print(f"[bold red]{PRIVILEGED_WARNING}[/]")
            for warning in result.warnings:
                console.print(f"[yellow]Aviso:[/] {warning}")
        else:
            console.print(f"[red]✗ {conn.name}[/] ({result.reason_code}): {result.message}")
    if not result.ok:
        raise typer.Exit(EXIT_DATABASE)


@db_app.command("remove")
def remove(
    name: str = typer.Argument(..., help="Saved connection name.", metavar="NAME"), json_output: bool = JSON_OPTION
) -> None:
    """Delete a saved connection."""
    with cli_errors(json_output):
        _context().registry.remove(name)
        if json_output:
            _emit({"removed": name})
        else:
            console.print(f"Conexão '{name}' removida.")


@db_app.command("create-readonly-user")
def create_readonly_user(
    user: str = typer.Argument(..., help="Name of the new read-only login, e.g. vozbd_leitor.", metavar="USER"),
    database: str | None = typer.Option(
        None, "--database", help="Target database (default: the admin URL's).", metavar="DATABASE"
    ),
    dialect: str | None = typer.Option(
        None, "--dialect", help="postgres or mysql (default: the admin URL's).", metavar="DIALECT"
    ),
    schemas: list[str] = typer.Option(
        ["public"], "--schema", help="PostgreSQL schema to grant (repeatable).", metavar="SCHEMA"
    ),
    apply: bool = typer.Option(False, "--apply", help="Run the SQL with --admin-url instead of printing it."),
    admin_url: str | None = typer.Option(
        None, "--admin-url", help="Administrator URL, used once for --apply and never stored or printed.", metavar="URL"
    ),
) -> None:
    """Print (or, with --apply, run) the SQL that creates a login with SELECT on the chosen schemas only.

    PostgreSQL: it also revokes EXECUTE from PUBLIC, in the target database only, on the functions whose effect
    outlives a read-only transaction (pg_terminate_backend, pg_cancel_backend, pg_logical_emit_message, dblink);
    every non-superuser role of that database loses them (grant them back by name where needed).

    Without --apply the password in the SQL is a placeholder to replace. With --apply a strong password is
    generated and the 'vozbd db add' command to use it is printed once.
    """
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from tools.db.connect import describe_db_error
    from tools.db.privileges import readonly_user_sql
    from tools.db.urls import dialect_of, mask_secrets, parse_url
    from tools.errors import DatabaseError, InvalidInputError

    with cli_errors():
        admin = parse_url(admin_url) if admin_url else None
        target_dialect = dialect or (dialect_of(admin) if admin else None)
        target_db = database or (admin.database if admin else None)
        if target_dialect not in ("postgres", "mysql") or not target_db:
            raise InvalidInputError(
                "Informe --dialect (postgres ou mysql) e --database, ou --admin-url com o banco de destino."
            )
        if not apply:
            for statement in readonly_user_sql(target_dialect, user, target_db, tuple(schemas)):
                typer.echo(statement + ";")
            return
        if admin is None:
            raise InvalidInputError("--apply precisa de --admin-url (usada uma vez, nunca salva).")
        password = secrets.token_urlsafe(18)
        engine = create_engine(admin.set(database=target_db), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as db:
                for statement in readonly_user_sql(target_dialect, user, target_db, tuple(schemas), password):
                    db.execute(text(statement))
        except SQLAlchemyError as error:
            detail = mask_secrets(describe_db_error(error), admin)
            raise DatabaseError(f"Não foi possível criar o login: {detail}", detail={"user": user}) from None
        finally:
            engine.dispose()
        reader = admin.set(username=user, password=password, database=target_db)
        console.print(f"[green]Login só de leitura '{user}' criado.[/] Cadastre-o (a senha aparece só agora):")
        typer.echo(f'vozbd db add NOME "{reader.render_as_string(hide_password=False)}"')


@demo_app.command("export")
def export(
    path: Path = typer.Argument(..., help="Where to write a copy of the demo SQLite database.", metavar="PATH"),
) -> None:
    """Copy the bundled demo database to PATH (an ordinary, writable SQLite file)."""
    from tools.db.demo import demo_db_path
    from tools.errors import InvalidInputError

    with cli_errors():
        target = path.expanduser()
        if target.is_dir():
            target = target / "demo.sqlite"
        if target.exists():
            raise InvalidInputError(f"O arquivo {target} já existe; escolha outro caminho.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_db_path(), target)
        console.print(f"Banco de demonstração copiado para {target}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
