"""``vozbd ask`` (one question) and ``vozbd chat`` (a terminal conversation with memory)."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from vozbd.cli.errors import EXIT_DATABASE, EXIT_ERROR, EXIT_OK, EXIT_USAGE, cli_errors, err_console
from vozbd.cli.layout import print_rows
from vozbd_core.text import plural

if TYPE_CHECKING:
    from agent.events import TurnResult
    from agent.service import Agent
    from vozbd.appdb.database import AppDatabase

console = Console(highlight=False)

MAX_TABLE_ROWS = 20
EXIT_FOR_TURN_ERROR = {
    "model_not_configured": EXIT_USAGE,
    "empty_question": EXIT_USAGE,
    # --audio that cannot be used: bad input, as `vozbd transcribe` says (it exited 0 after the pt-BR message)
    "audio_invalid": EXIT_USAGE,
    "audio_empty": EXIT_USAGE,
    "audio_not_found": EXIT_USAGE,
    "audio_too_big": EXIT_USAGE,
    "audio_too_long": EXIT_USAGE,
    "no_speech": EXIT_ERROR,
    "model_missing": EXIT_ERROR,  # no speech model installed (vozbd models install)
    "speech_error": EXIT_ERROR,
    "speech_unavailable": EXIT_ERROR,
    "sql_attempts_exhausted": EXIT_DATABASE,
    "llm_error": EXIT_ERROR,
    "internal_error": EXIT_ERROR,
}
QUIT_WORDS = {"/sair", "/exit", "/quit", "sair"}

DB_OPTION = typer.Option(
    None, "--db", metavar="NAME_OR_URL", help="Connection name or SQLAlchemy URL (default: VOZBD_DEFAULT_DB or demo)."
)
MODEL_OPTION = typer.Option(
    None, "--model", "-m", metavar="PROVIDER/MODEL", help='LLM as "provider/model" (default: VOZBD_MODEL or detected).'
)


@contextmanager
def agent_errors(json_output: bool = False) -> Iterator[None]:
    """LLM-configuration and speech errors → pt-BR message + exit code (tool errors via ``cli_errors``)."""
    from agent.llm.base import LLMError
    from agent.speech.base import SpeechError

    with cli_errors(json_output):
        try:
            yield
        except (LLMError, SpeechError) as error:
            if json_output:
                sys.stdout.write(json.dumps({"error": error.code, "message": error.message}, ensure_ascii=False) + "\n")
            else:
                err_console.print(f"[bold red]Erro ({error.code}):[/] {escape(error.message)}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from None


class _TurnLogger:
    """Writes CLI turns to ``conversation_logs``; an unavailable app database only warns (the answer matters more)."""

    def __init__(self) -> None:
        self._database: AppDatabase | None = None
        self._failed = False

    def write(self, turn: TurnResult, agent: Agent) -> None:
        import getpass

        from vozbd.appdb.errors import AppDatabaseConfigError, AppDatabaseError
        from vozbd.appdb.logs import TurnLog
        from vozbd.cli.context import load_app

        if self._failed:
            return
        try:
            if self._database is None:
                self._database = load_app().open_database()
            record = TurnLog.from_turn(turn, surface="cli", user_id=getpass.getuser(), model=agent.model_spec)
            self._database.logs.write_turn(record)
        except (AppDatabaseError, AppDatabaseConfigError) as error:
            self._failed = True
            err_console.print(f"[yellow]Aviso:[/] turno não registrado no histórico ({escape(error.message)})")

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None


def _build_agent(model: str | None, db: str | None = None) -> Agent:
    """The agent; a ``--db`` URL typed by the operator is accepted for this process (the model's own URLs never)."""
    from vozbd.cli.context import load_app, operator_urls

    return load_app(model=model, operator_urls=operator_urls(db)).agents.build()


def _check_connection(agent: Agent, db: str | None) -> None:
    """An unknown ``--db`` is the caller's mistake: exit 2 now (as the API's 404), not an answer apologising for it
    and exit 0."""
    if db:
        from tools.db.connect import resolve_connection

        resolve_connection(agent.tool_ctx, db)


def _cell(value: Any) -> str:
    return "∅" if value is None else str(value)


def print_turn(turn: TurnResult, *, show_answer: bool = True) -> None:
    """Answer, the SQL it ran and a table of the last result."""
    if show_answer:
        console.print(f"[bold]{escape(turn.answer)}[/]")
    for run in turn.sql_runs:
        console.print(Syntax(run["statement"], "sql", word_wrap=True, background_color="default"))
        if run["error_code"]:
            console.print(f"  [red]✗ {run['error_code']}:[/] {escape(run['error_message'] or '')}")
        else:
            console.print(f"  [dim]{plural(run['row_count'] or 0, 'linha')} em {run['elapsed_ms'] or 0:.0f} ms[/]")
    if turn.results:
        result = turn.results[-1]
        rows = [[escape(_cell(v)) for v in row] for row in result.rows[:MAX_TABLE_ROWS]]
        print_rows(console, [escape(str(column)) for column in result.columns], rows, numbered=True)
        if result.row_count > MAX_TABLE_ROWS:
            console.print(f"[dim]… {plural(result.row_count - MAX_TABLE_ROWS, 'linha')} a mais[/]")


def _json_default(value: Any) -> str:
    return str(value)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("chat")(chat)


def ask(
    question: str | None = typer.Argument(
        None, help="The question, in Portuguese (or use --audio).", metavar="QUESTION"
    ),
    db: str | None = DB_OPTION,
    model: str | None = MODEL_OPTION,
    conversation: str | None = typer.Option(
        None, "--conversation", "-c", help="Conversation id (keeps memory).", metavar="ID"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the full structured turn as JSON."),
    audio: Path | None = typer.Option(
        None, "--audio", exists=True, dir_okay=False, help="Ask with a recording.", metavar="AUDIO_FILE"
    ),
    speak: Path | None = typer.Option(
        None, "--speak", dir_okay=False, help="Write the spoken answer to this WAV.", metavar="WAV_FILE"
    ),
    voice: str | None = typer.Option(None, "--voice", help="TTS voice (with --speak).", metavar="VOICE"),
) -> None:
    """Ask one question about the database and print the answer, the SQL it ran and the result."""
    if not question and audio is None:
        err_console.print("[bold red]Erro:[/] informe a pergunta ou um arquivo com --audio.")
        raise typer.Exit(EXIT_USAGE)
    from vozbd.appdb.models import MAX_CONVERSATION_ID

    if conversation is not None and not 0 < len(conversation) <= MAX_CONVERSATION_ID:
        # the log row holds at most this much: a longer id was answered, then a ValidationError traceback
        err_console.print(f"[bold red]Erro:[/] --conversation deve ter de 1 a {MAX_CONVERSATION_ID} caracteres.")
        raise typer.Exit(EXIT_USAGE)
    with agent_errors(json_output):
        agent = _build_agent(model, db)
        _check_connection(agent, db)
        turn = agent.ask_sync(
            question=question,
            audio=audio.read_bytes() if audio else None,
            conversation_id=conversation or f"cli-{uuid.uuid4().hex[:12]}",
            connection=db,
            speak=speak is not None,
            voice=voice,
        )
    logger = _TurnLogger()
    logger.write(turn, agent)
    logger.close()
    if speak is not None and turn.audio_wav:
        try:
            speak.write_bytes(turn.audio_wav)
        except OSError as error:  # the turn is answered and logged: say where the audio could not go
            where = escape(str(speak))
            err_console.print(f"[bold red]Erro:[/] não consegui gravar o áudio em {where}: {error.strerror}.")
            raise typer.Exit(EXIT_USAGE) from None
    if json_output:
        typer.echo(json.dumps(turn.to_dict(), ensure_ascii=False, default=_json_default))
    else:
        if turn.transcript:
            console.print(f"[dim]Você disse:[/] {escape(turn.transcript)}")
        print_turn(turn)
        if speak is not None:
            saved = "salvo em " + str(speak) if turn.audio_wav else "não gerado"
            console.print(f"[dim]Áudio da resposta {saved}.[/]")
    raise typer.Exit(EXIT_FOR_TURN_ERROR.get(turn.error_code or "", EXIT_OK))


async def _chat_turn(
    agent: Agent, question: str, conversation_id: str, db: str | None, logger: _TurnLogger | None = None
) -> TurnResult | None:
    from agent.events import DoneEvent, TokenEvent, ToolEndEvent, ToolStartEvent

    streamed = False
    turn = None
    async for event in agent.astream_turn(question=question, conversation_id=conversation_id, connection=db):
        if isinstance(event, TokenEvent):
            console.print(escape(event.text), end="", style="bold")
            streamed = True
        elif isinstance(event, ToolStartEvent):
            detail = event.args.get("sql") or ", ".join(f"{k}={v}" for k, v in event.args.items())
            console.print(f"[dim]→ {event.name}: {escape(str(detail))}[/]")
        elif isinstance(event, ToolEndEvent) and event.error:
            console.print(f"[dim red]  ✗ {event.error.get('error')}[/]")
        elif isinstance(event, DoneEvent):
            turn = event.turn
    if streamed:
        console.print()
    if turn is not None and logger is not None:
        logger.write(turn, agent)
    if turn is not None:
        if not streamed:
            console.print(f"[bold]{escape(turn.answer)}[/]")
        print_turn(turn, show_answer=False)
    return turn


def chat(db: str | None = DB_OPTION, model: str | None = MODEL_OPTION) -> None:
    """A terminal conversation with memory (type /sair, Ctrl-D or Ctrl-C to leave)."""
    with agent_errors():
        agent = _build_agent(model, db)
        _check_connection(agent, db)
    conversation_id = f"chat-{uuid.uuid4().hex[:12]}"
    logger = _TurnLogger()
    console.print("[bold]vozbd[/] — pergunte sobre o seu banco de dados. [dim]/sair para terminar.[/]")
    if not agent.has_model:
        from agent.llm.registry import CONFIGURE_MODEL_MESSAGE

        console.print(f"[yellow]{escape(CONFIGURE_MODEL_MESSAGE)}[/]")
    while True:
        try:
            question = console.input("[bold cyan]você>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if not question:
            continue
        if question.lower() in QUIT_WORDS:
            break
        try:
            with agent_errors():
                asyncio.run(_chat_turn(agent, question, conversation_id, db, logger))
        except KeyboardInterrupt:
            console.print("\n[dim](interrompido)[/]")
    logger.close()
    console.print("[dim]Até logo![/]")
