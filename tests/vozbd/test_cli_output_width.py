"""CLI output read at 80 columns through a pipe (a real subprocess, stdout not a terminal): no line is wider than
the terminal, no word is cut in the middle, no value is clipped with "…", and pt-BR words are pluralised."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from vozbd.cli.app import app

WIDTH = 80
VOZBD = [sys.executable, "-c", "from vozbd.cli.app import run; run()"]


def _env(tmp_path: Path, columns: int = WIDTH) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")}
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY"):
        env.pop(name, None)
    return env | {
        "COLUMNS": str(columns),
        "VOZBD_DATA_DIR": str(tmp_path / "data"),
        "VOZBD_OLLAMA_BASE_URL": "http://127.0.0.1:9",  # closed port: nothing on this machine is probed
        "VOZBD_OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:9/v1",
    }


def _run(tmp_path: Path, *args: str, columns: int = WIDTH) -> str:
    proc = subprocess.run(
        [*VOZBD, *args],
        env=_env(tmp_path, columns),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _tokens(text: str) -> set[str]:
    """Whitespace-separated tokens with the tree guides and table borders removed."""
    return {t.strip(",") for t in re.split(r"[\s│├└─┃┏┓┗┛┡┩━┳┻╇┃]+", text) if t.strip(",")}


def _assert_fits(text: str) -> None:
    wide = [line for line in text.splitlines() if len(line.rstrip()) > WIDTH]
    assert not wide, wide


def test_schema_at_80_columns_keeps_every_name_type_and_key_whole(tmp_path: Path) -> None:
    text = _run(tmp_path, "schema", "demo")
    _assert_fits(text)
    schema = json.loads(_run(tmp_path, "schema", "demo", "--json"))
    lines = text.splitlines()
    tokens = _tokens(text)
    phrases: set[str] = set()  # must stand whole on one line
    words: set[str] = set()  # may wrap between words, never inside one
    for table in schema["tables"]:
        phrases |= {table["name"]} | {c["name"] for c in table["columns"]} | {c["type"] for c in table["columns"]}
        for fk in table["foreign_keys"]:
            phrases.add(f"{fk['referred_table']}.{','.join(fk['referred_columns'])}")
        for column in table["columns"]:
            words |= {w.strip(",") for value in column.get("samples") or [] for w in value.split()}
    cut = sorted(p for p in phrases if not any(p in line for line in lines))
    assert not cut, cut
    missing = sorted(w for w in words if w and w not in tokens)
    assert not missing, missing  # a word cut at the line end shows up as two tokens, neither of them this one
    header = text.splitlines()[0]
    assert re.search(r"\d+ tabelas, 0 views", header), header


def test_schema_of_one_table_is_singular(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["schema", "demo", "--table", "clientes"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0]
    assert "1 tabela," in header and "1 tabelas" not in header


def test_schema_wide_terminal_keeps_the_grid(tmp_path: Path) -> None:
    text = _run(tmp_path, "schema", "demo", columns=250)
    assert "valores / comentário" in text  # the column grid's header


def test_models_list_at_80_columns_prints_names_and_urls_whole(tmp_path: Path) -> None:
    text = _run(tmp_path, "models", "list")
    _assert_fits(text)
    assert "…" not in text
    listed = json.loads(_run(tmp_path, "models", "list", "--json"))
    tokens = _tokens(text)
    for provider in listed["providers"]:
        assert provider["name"] in tokens
        detail = provider["detail"]
        if detail.startswith("http"):
            assert detail in tokens, detail
        if detail.startswith("VOZBD_"):
            assert detail.split()[0] in tokens, detail
    assert "openrouter/deepseek/deepseek-chat" in tokens


def test_voices_say_the_gender_in_portuguese(tmp_path: Path) -> None:
    text = _run(tmp_path, "voices", "--engine", "espeak")
    _assert_fits(text)
    assert "feminina" in text and "masculina" in text
    assert not re.search(r"\b(female|male)\b", text)


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(group, TyperGroup):
        for name, command in group.commands.items():
            found += _commands(command, (*path, name))
    return found


def test_no_flag_shows_a_value_type_in_help() -> None:
    runner = CliRunner()
    command_paths = _commands(typer.main.get_command(app))
    assert len(command_paths) > 20
    for path in command_paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(WIDTH)})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path


@pytest.mark.parametrize("gender", ["female", "male"])
def test_voice_gender_helper(gender: str) -> None:
    from vozbd_core.text import voice_gender

    assert voice_gender(gender) == {"female": "feminina", "male": "masculina"}[gender]
    assert voice_gender(None) == ""


def test_wide_query_result_is_printed_record_by_record_at_80_columns(tmp_path: Path) -> None:
    text = _run(
        tmp_path, "query", "SELECT id, nome, cpf, email, telefone, cidade, uf FROM clientes ORDER BY id LIMIT 2"
    )
    _assert_fits(text)
    assert "linha 1" in text and "linha 2" in text and "2 linhas" in text
    assert re.search(r"^\s+email: \S+@\S+$", text, re.MULTILINE)  # whole values, one per line
    assert "…" not in text


def test_saved_connections_conversation_log_and_audit_print_whole_values_at_80_columns(tmp_path: Path) -> None:
    """`db list`, `logs` and `audit` go through the same layout: long URLs and questions are never clipped with "…"
    nor folded mid-word (rich's own table did both at 80 columns)."""
    url = "postgresql://leitor_da_loja@banco-de-dados.exemplo.com.br:5432/loja"  # never dialled (--no-test)
    _run(tmp_path, "db", "add", "loja-de-exemplo-com-nome-longo", url, "--no-test")
    listed = _run(tmp_path, "db", "list")
    _assert_fits(listed)
    assert "…" not in listed and "postgresql+psycopg://leitor_da_loja@banco-de-dados.exemplo.com.br:5432/loja" in listed
    script = tmp_path / "script.yaml"
    script.write_text(
        'rules:\n  - match: "clientes"\n    responses:\n      - tool_calls:\n          - name: run_query\n'
        '            args: {sql: "SELECT COUNT(*) AS total_de_clientes_cadastrados FROM clientes"}\n'
        '      - content: "Temos {last_result_first_value} clientes cadastrados na loja."\n'
        'default:\n  - content: "Não sei."\n',
        encoding="utf-8",
    )
    question = "Quantos clientes cadastrados temos na loja de exemplo hoje?"
    _run(tmp_path, "ask", question, "--model", f"scripted/{script}")
    for text in (_run(tmp_path, "logs"), _run(tmp_path, "audit")):
        _assert_fits(text)
        assert "…" not in text, text
    logs, audit = _run(tmp_path, "logs"), _run(tmp_path, "audit")
    assert question in logs and "Temos 600 clientes cadastrados na loja." in logs, logs
    assert "total_de_clientes_cadastrados" in _tokens(audit), audit
