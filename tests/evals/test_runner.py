"""Runner details with a stand-in agent facade: scoring from sql_runs, failure kinds, a crashing turn."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agent.events import TurnResult
from agent.speech.base import NoSpeechError
from evals.runner import RunConfig, Runner
from evals.suite import load_suite
from tools.context import ToolContext

SUITE = """\
db: demo
cases:
  - {id: ok, question: "clientes?", gold_sql: SELECT COUNT(*) FROM clientes, tags: [easy]}
  - {id: boom, question: "explode?", gold_sql: SELECT COUNT(*) FROM pedidos, tags: [easy]}
  - {id: erro, question: "erro?", gold_sql: SELECT COUNT(*) FROM pedidos, tags: [hard]}
  - {id: gold_ruim, question: "x?", gold_sql: SELECT * FROM nao_existe, tags: [hard]}
  - {id: mudo, question: "mudo?", gold_sql: SELECT COUNT(*) FROM pedidos, tags: [hard]}
"""


class FakeAgent:
    """Answers like ``Agent.ask`` from a table of question -> sql_runs (or raises)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def ask(self, *, question: str, conversation_id: str, connection: str | None) -> TurnResult:
        self.asked.append(question)
        if question.startswith("explode"):
            raise RuntimeError("bug in the agent")
        if question.startswith("mudo"):
            raise NoSpeechError("Não ouvi nada.")
        runs = {
            "clientes?": [
                {"statement": "SELEC 1", "error_code": "database_error"},
                {"statement": "SELECT COUNT(*) AS total FROM clientes", "error_code": None},
            ],
            "erro?": [
                {"statement": "SELECT nada FROM pedidos", "error_code": "database_error"},
                {"statement": "SELECT x FROM pedidos", "error_code": "database_error"},
            ],
        }.get(question, [{"statement": "SELECT 1", "error_code": None}])
        return TurnResult(
            conversation_id=conversation_id,
            connection=connection,
            question=question,
            answer="resposta",
            sql_runs=runs,
            timings={"total_ms": 12.0, "llm_total_ms": 5.0},
            steps=2,
            tool_calls=len(runs),
            sql_attempts=len(runs),
            tokens={"input": 10, "output": 2},
            error_code="sql_attempts_exhausted" if question == "erro?" else None,
        )


def test_runner_scores_and_survives_failing_turns(tmp_path: Path, tool_ctx: ToolContext) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUITE, encoding="utf-8")
    suite = load_suite(path)
    config = RunConfig(suite_path=path, model="fake/x", out_dir=tmp_path, concurrency=2)
    agent = FakeAgent()
    runner = Runner(config, suite, agent, tool_ctx)  # type: ignore[arg-type]  # the runner only calls the agent's methods used here
    try:
        asyncio.run(runner.run([(case, ["text"]) for case in suite.cases]))
    finally:
        runner.close()
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "results.jsonl").read_text().splitlines())}
    assert set(records) == {"ok", "boom", "erro", "gold_ruim", "mudo"}

    ok = records["ok"]
    assert ok["match"] is True and ok["pred_sql"] == "SELECT COUNT(*) AS total FROM clientes"
    assert ok["sql_retries"] == 1 and ok["sql_errors"] == 1 and ok["tokens_in"] == 10 and ok["db"] == "demo"
    assert [t["error_code"] for t in ok["sql_trace"]] == ["database_error", None]

    assert records["boom"]["outcome"] == "internal_error" and "bug in the agent" in records["boom"]["detail"]
    assert records["mudo"]["outcome"] == "speech_no_speech" and records["mudo"]["match"] is False
    assert records["erro"]["outcome"] == "sql_error" and records["erro"]["match"] is False
    assert records["gold_ruim"]["outcome"] == "gold_error" and records["gold_ruim"]["match"] is None
    assert records["gold_ruim"]["gold_error"].startswith("database_error")
    assert len(agent.asked) == 5


@pytest.mark.parametrize(
    ("turn_error", "codes", "kind"),
    [
        (None, [], "no_sql"),
        ("step_limit", [], "step_limit"),
        ("sql_attempts_exhausted", ["unsafe_query", "unsafe_query"], "unsafe_rejected"),
        ("sql_attempts_exhausted", ["unsafe_query", "database_error"], "sql_error"),
        ("llm_error", ["database_error"], "llm_error"),
    ],
)
def test_failure_kind(turn_error: str | None, codes: list[str], kind: str) -> None:
    from evals.runner import _failure_kind

    assert _failure_kind(turn_error, [{"error_code": c} for c in codes]) == kind
