"""Sanity scripts for the scripted model: an *oracle* that answers every suite question with its gold SQL
(a full run must score EX 1.0 — it checks the runner, the scorer and the gold SQL together) and a *silent* one
that never queries (EX 0.0; measures the harness overhead)."""

from __future__ import annotations

import re
from typing import Any

from evals.suite import Suite


def question_pattern(question: str) -> str:
    """A regex matching the (accent-folded) question whatever its punctuation, and any number written as
    digits or words — so the oracle also recognises STT transcripts ("5 estados" / "cinco estados")."""
    from agent.llm.scripted import fold

    words = re.findall(r"\w+", fold(question))
    parts = [r"\w+(?:\W+e\W+\w+)*" if w.isdigit() else re.escape(w) for w in words]
    return r"^\W*" + r"\W+".join(parts) + r"[^\w\n]*(?:\n|$)"


def oracle_script(suite: Suite, dialect: str = "sqlite") -> dict[str, Any]:
    """A ``scripted/`` model script: one rule per case matching its question, calling ``run_query`` with the gold.

    Each rule carries its exact question, which the scripted model checks before any pattern: the patterns turn
    numbers into wildcards (for STT transcripts), so "mais de 6 cilindros" could otherwise answer the "mais de 4"
    rule that comes first."""
    rules = [
        {
            "match": question_pattern(case.question),
            "question": case.question,
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
