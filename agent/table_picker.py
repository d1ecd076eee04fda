"""Optional first step for very large schemas: the model picks the tables a question needs from their names.

Only when a model is configured and the schema has at least ``AgentContext.table_picker_min_tables`` tables.
The answer is parsed leniently (names separated by commas, spaces or lines, in any case) and only names that
exist are kept; the picked tables then rank first in the compact schema text (they are not the only ones
shown). Any failure just means no pick: the deterministic ranking works alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from agent import prompts

log = logging.getLogger(__name__)

MAX_PICKED = 8
NAMES_CHARS = 12_000  # the names list is cut here (a schema of thousands of tables still gets a bounded call)


def pick_tables(model: BaseChatModel, question: str, names: Sequence[str], limit: int = MAX_PICKED) -> list[str]:
    """Table names the model says the question needs (existing names only, at most ``limit``)."""
    listed = ", ".join(names)[:NAMES_CHARS]
    prompt = prompts.TABLE_PICKER.format(question=question, count=len(names), names=listed, limit=limit)
    try:
        reply = model.invoke([HumanMessage(prompt)])
    except Exception as error:  # a provider failure must not fail the turn: answer without the pick
        log.warning("table picker failed: %s", type(error).__name__)
        return []
    by_lower = {n.lower(): n for n in names}
    picked: dict[str, None] = {}
    for token in re.split(r"[\s,;`'\"]+", str(reply.text)):
        name = by_lower.get(token.strip(".").lower())
        if name:
            picked[name] = None
    return list(picked)[:limit]
