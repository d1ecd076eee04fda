"""What a hosted provider receives, read at its HTTP boundary: vozbd configured with ``openai/<model>`` against a
local server imitating the OpenAI API (``stub_openai``), the real agent, a real SQLite database declared in the
config with a policy. A strict policy must keep masked values, sample values and rows past ``model_rows`` out of
every request; the same run with an open policy shows each of them (so the check can fail)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.offline.stub_openai import StubOpenAI
from tools.memory import MemoryStore
from vozbd.wiring import build_agent, build_app_database, load_settings

ROWS = 40
MODEL_ROWS = 5
QUESTION = "Liste os clientes com e-mail e cidade"
SQL = "SELECT nome, email, cidade FROM clientes ORDER BY id"
REMEMBERED_SQL = "SELECT COUNT(*) FROM clientes WHERE cidade = 'CidadeLembrada'"

STRICT = {
    "masked_columns": ["clientes.email"],
    "denied_columns": ["docfiscal"],
    "samples": False,
    "model_rows": MODEL_ROWS,
}


def make_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE clientes (id INTEGER PRIMARY KEY, nome TEXT NOT NULL, email TEXT, docfiscal TEXT, "
            "bairro TEXT, cidade TEXT)"
        )
        db.executemany(
            "INSERT INTO clientes VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    f"Cliente{i:03d}",
                    f"segredo{i:03d}@exemplo.com",
                    f"DOC{i:03d}XYZ",
                    f"Bairro{i % 4}Amostra",
                    f"Cidade{i:03d}",
                )
                for i in range(ROWS)
            ],
        )


def run_turn(tmp_path: Path, policy: dict[str, Any]) -> StubOpenAI:
    database = tmp_path / "loja.sqlite"
    make_database(database)
    stub = StubOpenAI(
        {QUESTION: [{"tool_calls": [{"name": "run_query", "args": {"sql": SQL}}]}, {"content": "Aqui estão."}]}
    )
    with stub.running():
        settings = load_settings(
            data_dir=tmp_path / "data",
            model="openai/gpt-stub",
            openai_api_key="sk-stub",
            openai_base_url=stub.url,
            default_db="loja",
            value_index_wait_s=30.0,
            connections={"loja": {"url": f"sqlite:///{database}", "policy": policy}},
        )
        MemoryStore(build_app_database(settings).engine).add_example(
            "loja", "Quantos clientes moram na cidade lembrada?", REMEMBERED_SQL
        )
        agent = build_agent(settings, speech=False)
        turn = agent.ask_sync(question=QUESTION, conversation_id="egress")
    assert turn.error_code is None, turn
    assert turn.answer == "Aqui estão."
    assert turn.results and turn.results[0].row_count == ROWS, "the user still gets every row"
    assert len(stub.requests) == 2  # the question, then the tool result
    return stub


def test_strict_policy_keeps_masked_sample_and_extra_rows_out_of_every_request(tmp_path: Path) -> None:
    sent = run_turn(tmp_path, STRICT).received_text()
    assert "segredo" not in sent, "a masked value reached the provider"
    assert "DOC0" not in sent and "docfiscal" not in sent, "a denied column reached the provider"
    assert "Amostra" not in sent, "a sample value reached the provider"
    assert "CidadeLembrada" not in sent, "a literal of remembered SQL reached the provider"
    rows = set(re.findall(r"Cliente\d{3}", sent))
    assert rows == {f"Cliente{i:03d}" for i in range(MODEL_ROWS)}, f"{len(rows)} rows reached the provider"
    assert "•••" in sent  # the masked column is there, as the mask
    assert "FROM clientes WHERE cidade = '?'" in sent  # the remembered example, without its literal


def test_open_policy_sends_them_so_the_check_can_fail(tmp_path: Path) -> None:
    sent = run_turn(tmp_path, {}).received_text()
    assert "segredo000@exemplo.com" in sent and "Amostra" in sent and "CidadeLembrada" in sent
    assert len(set(re.findall(r"Cliente\d{3}", sent))) == 20  # the tool's default window
