"""Slash commands of the chat (/sql, /esquema, /conexoes, ...): plain functions, no Chainlit, no LLM.

Each command returns a :class:`Reply` (pt-BR markdown plus an optional query result for the table/chart);
typed tool errors are turned into their pt-BR message here, once. Blocking work: call from a thread.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.errors import ToolError
from ui import render, runtime, texts
from ui.prefs import DEMO, Prefs, TurnTimings

log = logging.getLogger("vozbd.ui")


@dataclass
class Reply:
    text: str
    result: Any = None  # a QueryResult to render as table + chart
    sql: str | None = None  # the SQL that ran (shown in a collapsible step)
    error: bool = False


@dataclass(frozen=True)
class Command:
    name: str
    args: str


def _typed_command(text: str) -> Command | None:
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    name, _, args = stripped[1:].partition(" ")
    if not name or "/" in name:
        return None
    return Command(name.lower(), args.strip())


def parse_command(text: str, command: str | None = None) -> Command | None:
    """``"/sql SELECT 1"`` → Command("sql", "SELECT 1"); ``command`` is the one picked in Chainlit's menu (a chip).

    A command typed in the text wins over a chip: ``/sql SELECT ...`` sent while an ``/esquema`` chip was still
    shown runs ``/sql``, it is not swallowed as ``/esquema``'s argument.
    """
    typed = _typed_command(text)
    if command and (typed is None or typed.name not in KNOWN_COMMANDS):
        return Command(command.lstrip("/").lower(), text.strip())
    return typed


def _usage_name(name: str, args: str) -> str | None:
    parts = args.split()
    return parts[0] if len(parts) == 1 else None


def cmd_sql(args: str, prefs: Prefs) -> Reply:
    from tools.safe_query import RunQueryInput, run_query

    sql = args.strip().rstrip(";").strip()
    if not sql:
        return Reply(texts.USAGE_SQL, error=True)
    result = run_query(RunQueryInput(sql=sql, connection=prefs.connection_arg), runtime.tool_context())
    return Reply("", result=result, sql=getattr(result, "executed_sql", None) or sql)


def cmd_schema(args: str, prefs: Prefs) -> Reply:
    from tools.schema_inspect import InspectSchemaInput, inspect_schema

    tables = args.replace(",", " ").split() or None
    schema = inspect_schema(InspectSchemaInput(connection=prefs.connection_arg, tables=tables), runtime.tool_context())
    text = f"**Esquema de {prefs.connection_label}**\n\n{render.schema_markdown(schema, detailed=bool(tables))}"
    if getattr(schema, "not_found", None):
        text += "\n\nNão encontrei: " + ", ".join(f"`{name}`" for name in schema.not_found)
    return Reply(text)


def _test(name: str, target: str | None = None) -> str:
    """Test connection ``target`` (default: ``name``; None/demo = the default connection), shown as ``name``."""
    from tools.db.connect import resolve_connection, test_connection

    ctx = runtime.tool_context()
    target = target if target is not None else name
    result = test_connection(ctx, resolve_connection(ctx, None if target == DEMO else target))
    if result.ok:
        version = result.server_version or "ok"
        return texts.CONNECTION_TEST_OK.format(name=name, latency=result.latency_ms or 0.0, version=version)
    return texts.CONNECTION_TEST_FAIL.format(name=name, reason=result.message or result.reason_code or "?")


def cmd_connections(args: str, prefs: Prefs) -> Reply:
    from tools.db.urls import mask_url

    infos = runtime.tool_context().registry.list()
    lines = [texts.CONNECTIONS_HEADER.format(active=prefs.connection_label), ""]
    lines.append(f"- `{DEMO}` — banco de demonstração (SQLite)")
    for info in infos:
        url = getattr(info, "masked_url", None) or mask_url(str(getattr(info, "url", "")))
        warning = " — ⚠ login privilegiado permitido" if getattr(info, "allow_privileged", False) else ""
        lines.append(f"- `{info.name}` — {getattr(info, 'dialect', '')} `{url}`{warning}")
    if not infos:
        lines += ["", texts.NO_CONNECTIONS]
    return Reply("\n".join(lines))


def _many_users() -> bool:
    """Several people behind a login proxy (``VOZBD_UI_AUTH=header``): connections are the operator's to change."""
    return runtime.config().auth == "header"


def cmd_connect(args: str, prefs: Prefs) -> Reply:
    from tools.db.urls import mask_url

    try:
        name, url = shlex.split(args)
    except ValueError:
        return Reply(texts.USAGE_CONNECT, error=True)
    if _many_users():  # only the operator adds URLs (vozbd db add)
        return Reply(texts.CONNECT_OPERATOR_ONLY, error=True)
    registry = runtime.tool_context().registry
    registry.add(name, url)
    saved = texts.CONNECTION_SAVED.format(name=name, url=mask_url(url))
    tested = _test(name)
    if "privileged" in tested or "privilégios demais" in tested:  # a privileged login is never kept from the UI
        registry.remove(name)
        return Reply(f"{tested}\n\nA conexão não foi salva.", error=True)
    return Reply(f"{saved}\n\n{tested}")


def cmd_test(args: str, prefs: Prefs) -> Reply:
    if not args.strip():
        return Reply(_test(prefs.connection_label, prefs.connection_arg or DEMO))
    name = _usage_name("testar", args)
    if name is None:
        return Reply(texts.USAGE_NAME.format(name="testar"), error=True)
    return Reply(_test(name))


def cmd_remove(args: str, prefs: Prefs) -> Reply:
    name = _usage_name("remover", args)
    if name is None or name == DEMO:
        return Reply(texts.USAGE_NAME.format(name="remover"), error=True)
    if _many_users():  # one chat user must not delete the connections everybody uses (vozbd db remove)
        return Reply(texts.REMOVE_OPERATOR_ONLY, error=True)
    runtime.tool_context().registry.remove(name)
    if prefs.connection == name:
        prefs.connection = None
    return Reply(texts.CONNECTION_REMOVED.format(name=name))


def cmd_use(args: str, prefs: Prefs) -> Reply:
    from tools.db.connect import resolve_connection

    name = _usage_name("usar", args)
    if name is None:
        return Reply(texts.USAGE_NAME.format(name="usar"), error=True)
    if name != DEMO:
        resolve_connection(runtime.tool_context(), name)  # raises UnknownConnectionError
    prefs.connection = None if name == DEMO else name
    return Reply(texts.CONNECTION_ACTIVE.format(name=name))


def cmd_help(args: str, prefs: Prefs) -> Reply:
    return Reply(texts.HELP)


def diagnostics(prefs: Prefs, last: TurnTimings | None) -> Reply:
    """Models loaded, provider reachability, DB status and the last turn's per-stage timings."""
    from agent.llm.registry import provider_statuses

    llm = runtime.llm_state()
    lines = ["**Diagnóstico**", "", "**Modelo de linguagem**"]
    lines.append(f"- ativo: `{prefs.model or llm.spec}`" if llm.available else "- nenhum configurado")
    for status in provider_statuses(runtime.services().agents.llm, check=True):
        if status.name == "scripted" and not (llm.spec or "").startswith("scripted/"):
            continue
        reach = {True: "acessível", False: "inacessível", None: "não verificado"}[status.reachable]
        configured = "configurado" if status.configured else "não configurado"
        lines.append(f"- {status.name}: {configured}, {reach}{' — ' + status.detail if status.detail else ''}")
    lines += ["", "**Para onde vão os dados**", *runtime.data_flow(prefs.model, prefs.connection_arg)]
    lines += ["", "**Voz**"]
    loaded = runtime.loaded_speech_engines()
    in_memory = runtime.services().speech.in_memory()
    if "stt" in loaded:
        state = "modelo carregado na memória" if in_memory.get("stt") else "modelo carrega na primeira fala"
        lines.append(f"- reconhecimento de voz (STT): {loaded['stt']}, {state}")
    else:
        lines.append("- reconhecimento de voz (STT): ainda não iniciado (carrega na primeira fala)")
    tts = [name for key, name in loaded.items() if key.startswith("tts:")]
    tts_state = ", ".join(tts) if tts else "ainda não iniciada (carrega na primeira resposta falada)"
    lines.append(f"- síntese de voz (TTS): {tts_state}")
    lines.append(f"- motor/voz/velocidade: {prefs.tts_engine} / {prefs.voice} / {prefs.speed:g}")
    lines.append(f"- resposta falada automática: {'sim' if prefs.auto_speak else 'não'}")
    lines += ["", "**Banco de dados**"]
    try:
        lines.append(f"- {_test(prefs.connection_label, prefs.connection_arg or DEMO)}")
    except ToolError as error:
        lines.append(f"- ❌ {error.message}")
    tool_ctx = runtime.tool_context()
    privileged = [info.name for info in tool_ctx.registry.list() if info.allow_privileged]
    if tool_ctx.allow_privileged:
        lines.append(
            "- ⚠ VOZBD_ALLOW_PRIVILEGED ativo: logins com privilégios além de leitura são aceitos em todas as conexões"
        )
    elif privileged:
        lines.append(f"- ⚠ login privilegiado permitido (--allow-privileged) em: {', '.join(privileged)}")
    lines += ["", "**Contexto do modelo**", *_context_lines(prefs)]
    lines += ["", "**Última resposta (segundos)**"]
    if last is None:
        lines.append("- nenhuma ainda")
    else:
        rows = (
            ("transcrição (STT)", last.stt_s),
            ("modelo: primeiro token", last.llm_first_token_s),
            ("SQL", last.sql_s),
            ("voz: primeiro áudio (TTS)", last.tts_first_audio_s),
            ("fim da fala → primeiro áudio", last.end_to_first_audio_s),
            ("total", last.total_s),
        )
        lines += [f"- {label}: {value:.2f}" if value is not None else f"- {label}: —" for label, value in rows]
        lines.append(f"- voz usada: {last.tts_engine or '—'} / {last.voice or '—'}")
    return Reply("\n".join(lines))


def _context_lines(prefs: Prefs) -> list[str]:
    """Bilingual dictionary, value index and memory of the active connection (what the model gets besides the
    schema)."""
    from tools.db.connect import resolve_connection
    from tools.schema_inspect.bilingual import load_dictionary
    from tools.values.service import index_status

    ctx = runtime.tool_context()
    dictionary = load_dictionary(ctx.dictionary_dirs)
    if dictionary.sources:
        lines = [f"- dicionário pt↔en: {len(dictionary)} palavras (FreeDict)"]
    else:
        folders = ", ".join(str(d) for d in ctx.dictionary_dirs) or "(nenhuma pasta)"
        lines = [
            f"- dicionário pt↔en: não encontrado em {folders}; só o léxico embutido "
            "(instale `dict-freedict-por-eng` e `dict-freedict-eng-por`)"
        ]
    try:
        status = index_status(ctx, resolve_connection(ctx, prefs.connection_arg or DEMO))
    except ToolError as error:
        return [*lines, f"- índice de valores: indisponível ({error.message})"]
    texts_by_state = {
        "off": "desligado (VOZBD_VALUE_INDEX=false)",
        "not_built": "ainda não construído (é construído na primeira pergunta)",
        "building": "sendo construído em segundo plano",
        "failed": f"falhou ({status.error})",
        "ready": f"{status.values} valores de {status.columns} colunas" + (" (parcial)" if status.truncated else ""),
    }
    lines.append(f"- índice de valores: {texts_by_state[status.state]}")
    return lines


HANDLERS: dict[str, Callable[[str, Prefs], Reply]] = {
    "sql": cmd_sql,
    "esquema": cmd_schema,
    "conexoes": cmd_connections,
    "conexões": cmd_connections,
    "conectar": cmd_connect,
    "usar": cmd_use,
    "testar": cmd_test,
    "remover": cmd_remove,
    "ajuda": cmd_help,
    "help": cmd_help,
}


KNOWN_COMMANDS = frozenset(HANDLERS) | {"diagnostico", "diagnóstico"}


def run_command(command: Command, prefs: Prefs, last: TurnTimings | None = None) -> Reply:
    """Run one slash command; typed tool errors become their pt-BR message (logged in English)."""
    try:
        if command.name in ("diagnostico", "diagnóstico"):
            return diagnostics(prefs, last)
        handler = HANDLERS.get(command.name)
        if handler is None:
            return Reply(texts.UNKNOWN_COMMAND.format(name=command.name), error=True)
        return handler(command.args, prefs)
    except ToolError as error:
        log.info("command /%s failed: %s (%s)", command.name, error.code, error)
        return Reply(f"❌ {error.message}", error=True)
