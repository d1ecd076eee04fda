"""`vozbd transcribe`, `vozbd speak`, `vozbd voices`: offline pt-BR speech from the command line."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from vozbd.cli.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, err_console
from vozbd.cli.layout import print_rows
from vozbd_core.text import voice_gender

if TYPE_CHECKING:
    from agent.speech.base import SpeechError

console = Console()

# SpeechError codes caused by what the user typed or sent (exit 2); everything else exits 1.
_USAGE_CODES = {"unknown_voice", "invalid_speed", "unknown_engine", "empty_text"}
# On the command line the user is the operator: say which setting raises the limit.
_LIMIT_HINTS = {"audio_too_long": "VOZBD_STT_MAX_SECONDS", "audio_too_big": "VOZBD_STT_MAX_MB"}


def _message(error: SpeechError) -> str:
    setting = _LIMIT_HINTS.get(error.code)
    return f"{error.message} (O limite é ajustável em {setting}.)" if setting else error.message


@contextmanager
def speech_errors(json_output: bool = False) -> Iterator[None]:
    """SpeechError → its pt-BR message and exit 1 (bad input/usage → 2). Imports speech lazily."""
    from agent.speech.base import AudioInputError, SpeechError

    try:
        yield
    except SpeechError as error:
        code = EXIT_USAGE if isinstance(error, AudioInputError) or error.code in _USAGE_CODES else EXIT_ERROR
        if json_output:
            sys.stdout.write(json.dumps({"error": error.code, "message": _message(error)}, ensure_ascii=False) + "\n")
        else:
            err_console.print(f"[bold red]Erro ({error.code}):[/] {escape(_message(error))}", highlight=False)
        raise typer.Exit(code) from None


def transcribe(
    files: list[Path] = typer.Argument(
        ..., help="Audio files (wav, mp3, ogg/opus, webm, m4a, flac); '-' reads standard input.", metavar="AUDIO_FILE"
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Recognise this connection's names exactly (saved name, 'demo' or URL): its cities, products, "
        "customers... are read from the database (read-only) and the transcript is corrected towards them.",
        metavar="NAME_OR_URL",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the full Transcript as JSON (one line per file)."),
) -> None:
    """Transcribe pt-BR audio files with the local faster-whisper model."""
    from vozbd.cli.context import load_app, operator_urls
    from vozbd.cli.errors import cli_errors

    app = load_app(operator_urls=operator_urls(db))  # a URL typed after --db is the operator's, so accepted
    vocabulary = None
    if db is not None:
        from agent.speech.db_vocabulary import connection_vocabulary

        with cli_errors(json_output):  # unknown connection → 2, database unreachable → 4
            ctx = app.tool_ctx
            vocabulary = connection_vocabulary(ctx, db, wait_s=ctx.value_index.time_budget_s)
    from agent.speech.base import AudioInputError, NoSpeechError

    exit_code = EXIT_OK
    with speech_errors(json_output):  # the model itself failing ends the run; one bad file does not
        transcriber = app.speech.transcriber()
        for path in files:
            try:
                source = _stdin(transcriber) if str(path) == "-" else path
                transcript = transcriber.transcribe(source, vocabulary=vocabulary)
            except (AudioInputError, NoSpeechError) as error:
                if len(files) == 1:
                    raise
                exit_code = max(exit_code, EXIT_USAGE if isinstance(error, AudioInputError) else EXIT_ERROR)
                _file_error(path, error, json_output)
                continue
            if json_output:
                sys.stdout.write(json.dumps({"file": str(path), **asdict(transcript)}, ensure_ascii=False) + "\n")
            elif len(files) > 1:
                console.print(f"[bold]{path}[/]: {transcript.text}", highlight=False)
            else:
                typer.echo(transcript.text)
    if exit_code != EXIT_OK:
        raise typer.Exit(exit_code)


def _stdin(transcriber: object) -> bytes:
    """The audio piped in as ``-`` (``arecord -f S16_LE -r 16000 -t wav | vozbd transcribe -``), read up to the
    size limit (a bigger input is refused without reading the rest)."""
    from agent.speech.audio import AudioLimits

    limits = getattr(transcriber, "limits", AudioLimits())
    return sys.stdin.buffer.read(limits.max_bytes + 1)


def _file_error(path: Path, error: SpeechError, json_output: bool) -> None:
    """One file of several could not be transcribed: say which and why, then go on with the next."""
    if json_output:
        line = {"file": str(path), "error": error.code, "message": _message(error)}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    else:
        err_console.print(f"[bold]{escape(str(path))}[/]: [red]Erro ({error.code}):[/] {escape(_message(error))}")


def speak(
    text: str = typer.Argument(
        ..., help="Text to speak (markdown, numbers and SQL are prepared for speech).", metavar="PHRASE"
    ),
    output: Path = typer.Option(..., "--output", "-o", help="WAV file to write.", metavar="WAV_FILE"),
    voice: str | None = typer.Option(None, "--voice", help="Voice id (see `vozbd voices`).", metavar="VOICE"),
    speed: float | None = typer.Option(None, "--speed", help="0.5 to 2.0 (default from settings).", metavar="FACTOR"),
    engine: str | None = typer.Option(
        None, "--engine", help="kokoro, espeak or coqui (default from settings).", metavar="ENGINE"
    ),
) -> None:
    """Speak pt-BR text into a WAV file; prints time to first audio and total time."""
    from agent.speech.audio import to_wav_bytes
    from agent.speech.base import SpeechError
    from agent.speech.speak import SpeakOptions
    from agent.speech.speak import speak as speak_text
    from vozbd.cli.context import load_app

    speech = load_app(tts_engine=engine, tts_voice=voice, tts_speed=speed).speech
    with speech_errors():
        started = time.perf_counter()
        synthesizer = speech.synthesizer(engine)  # named with --engine: never falls back
        chunks, first = [], None
        options = SpeakOptions(voice=voice, speed=speed, strict_voice=True)
        for chunk in speak_text(synthesizer, text, options):
            first = first if first is not None else time.perf_counter() - started
            chunks.append(chunk)
        if not chunks:
            raise SpeechError("Não há texto para falar.", code="empty_text")
        total = time.perf_counter() - started
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(to_wav_bytes(chunks))
        seconds = sum(c.samples.size for c in chunks) / chunks[0].sample_rate
        err_console.print(
            f"{output}: {seconds:.2f} s de áudio ({synthesizer.name}); primeiro áudio em {first:.2f} s, "
            f"total {total:.2f} s",
            highlight=False,
        )


def voices(
    engine: str | None = typer.Option(
        None, "--engine", help="kokoro, espeak or coqui (default from settings).", metavar="ENGINE"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON array (one object per voice)."),
) -> None:
    """List the voices of a TTS engine."""
    from vozbd.cli.context import load_app

    speech = load_app(tts_engine=engine).speech
    with speech_errors(json_output):
        synthesizer = speech.synthesizer(engine)
        listed = synthesizer.voices()
        if json_output:
            rows = [{"engine": synthesizer.name, **asdict(v)} for v in listed]
            sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
            return
        table = [[escape(v.id), escape(v.name), voice_gender(v.gender), escape(v.language)] for v in listed]
        print_rows(console, ("voz", "nome", "gênero", "idioma"), table, title=f"Vozes do motor {synthesizer.name}")


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe)
    app.command("speak")(speak)
    app.command("voices")(voices)
