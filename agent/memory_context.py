"""The prompt section built from a connection's memory: glossary terms the question uses and verified examples
(DAIL-SQL-style selection in ``tools.memory``), within a character budget."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from agent import prompts
from tools.memory import MemoryStore, select_examples, select_terms
from tools.policy.literals import blank_string_literals

log = logging.getLogger(__name__)

MemoryProvider = Callable[[], MemoryStore | None]
"""Returns the memory store (opened lazily by the composition root), or None when there is none."""

EXAMPLES = 3
MEMORY_BUDGET = 2500  # characters of glossary + examples in the system prompt


def memory_text(
    store: MemoryStore, connection: str, question: str | None, budget: int = MEMORY_BUDGET, *, literals: bool = True
) -> str:
    """Glossary lines and example blocks for ``question`` on ``connection`` ('' when there is nothing).

    ``literals=False`` (a policy forbidding sample values) blanks the string literals of the examples' SQL."""
    if not question or not question.strip():
        return ""
    sections: list[str] = []
    used = 0
    glossary, examples = store.for_prompt(connection)
    terms = select_terms(question, glossary)
    if terms:
        lines = [prompts.GLOSSARY_HEADER]
        for term in terms:
            line = prompts.GLOSSARY_LINE.format(term=term.term, definition=term.definition.replace("\n", " "))
            if used + len(line) > budget // 2:
                break
            lines.append(line)
            used += len(line) + 1
        if len(lines) > 1:
            sections.append("\n".join(lines))
    chosen = select_examples(question, examples, EXAMPLES)
    if chosen:
        blocks = [prompts.EXAMPLES_HEADER]
        for item in chosen:
            sql = " ".join(item.example.sql.split())
            block = prompts.EXAMPLE_BLOCK.format(
                question=item.example.question, sql=sql if literals else blank_string_literals(sql)
            )
            if used + len(block) > budget:
                break
            blocks.append(block)
            used += len(block) + 2
        if len(blocks) > 1:
            sections.append("\n\n".join(blocks))
    return "\n\n".join(sections)


def safe_memory_text(
    provider: MemoryProvider | None, connection: str, question: str | None, *, literals: bool = True
) -> str:
    """``memory_text`` that never fails the turn: an unavailable app database means no memory section."""
    if provider is None:
        return ""
    try:
        store = provider()
        return memory_text(store, connection, question, literals=literals) if store is not None else ""
    except SQLAlchemyError as error:
        log.warning("memory of %s unavailable: %s", connection, type(error).__name__)
        return ""
