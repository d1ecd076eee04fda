"""Sanity scripts for the scripted model: an *oracle* that answers every suite question with its gold SQL
(a full run must score EX 1.0 — it checks the runner, the scorer and the gold SQL together) and a *silent* one
that never queries (EX 0.0; measures the harness overhead)."""

from __future__ import annotations

import re
from typing import Any

from evals.suite import Suite


def oracle_script(suite: Suite, dialect: str = "sqlite") -> dict[str, Any]:
    """A ``scripted/`` model script: one rule per case matching its question, calling ``run_query`` with the gold."""
    from agent.llm.scripted import fold

    rules = [
        {
            "match": "^" + re.escape(fold(case.question)) + r"(\s|$)",
            "responses": [
                {"tool_calls": [{"name": "run_query", "args": {"sql": case.gold_for(dialect)}}]},
                {"content": "Resultado: {last_result_first_value} ({last_row_count} linhas)."},
            ],
        }
        for case in suite.cases
    ]
    return {"rules": rules, "default": [{"content": "Não sei."}]}


def silent_script() -> dict[str, Any]:
    """A script whose model answers every question without running any query."""
    return {"rules": [], "default": [{"content": "Não sei responder."}]}
