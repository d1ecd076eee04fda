"""Compact DDL-like text of a schema for LLM prompts, within a character budget.

When everything does not fit, the most relevant tables (``relevance.rank_tables``) come first,
each strong match followed by its FK join partners. Wide tables are first taken *pruned* (keys, join
columns and the columns the question is about; the others listed by name), so more of the relevant tables
fit; then, in priority order, pruned tables are shown whole while the budget allows. The names of the
tables left out are listed on one line so the model knows they exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from tools.schema_inspect.bilingual import EMPTY, Dictionary
from tools.schema_inspect.blocks import columns_to_keep, names_within, outline, referenced_columns, table_block
from tools.schema_inspect.joins import bridges, neighbours
from tools.schema_inspect.models import OMITTED_PREFIX, SchemaResult, TableInfo
from tools.schema_inspect.relevance import Question, rank_tables

if TYPE_CHECKING:
    from tools.values.match import ValueMatch

STRONG_MATCH = 0.5  # tables scoring at least this share of the best score bring their FK partners along
_OMITTED_SHARE = 0.25  # at most this share of the budget lists the omitted table names
_MIN_BUDGET = 200
VALUE_BOOST = 6.0  # relevance added to a table holding a value the question names (times the match score)
_HINTS_SHARE = 0.2  # at most this share of the budget lists the values the question names
VALUES_HEADER = "-- valores citados na pergunta (grafia exata do banco):"


def value_boost(values: Sequence[ValueMatch]) -> dict[str, float]:
    """Relevance bonus per table for the values the question names (best match per table)."""
    boost: dict[str, float] = {}
    for match in values:
        boost[match.table] = max(boost.get(match.table, 0.0), VALUE_BOOST * match.score)
    return boost


def values_text(values: Sequence[ValueMatch], room: int) -> str:
    """The hint lines (``tabela.coluna = 'valor'``) that fit in ``room`` characters, or ''."""
    if not values:
        return ""
    lines = [VALUES_HEADER]
    size = len(VALUES_HEADER)
    for match in values:
        line = f"--   {match.hint}"
        if size + 1 + len(line) > room:
            break
        lines.append(line)
        size += 1 + len(line)
    return "\n".join(lines) if len(lines) > 1 else ""


def priority_order(
    tables: Sequence[TableInfo],
    question: str | None,
    dictionary: Dictionary = EMPTY,
    boost: Mapping[str, float] | None = None,
) -> list[TableInfo]:
    """Tables in the order they should be kept when the budget is short."""
    return _prioritized(tables, question, dictionary, boost)[0]


def _prioritized(
    tables: Sequence[TableInfo],
    question: str | None,
    dictionary: Dictionary = EMPTY,
    boost: Mapping[str, float] | None = None,
) -> tuple[list[TableInfo], tuple[int, int]]:
    """``priority_order`` and two boundaries in it: the strongly relevant tables (strong matches and the tables
    joining them) end at the first; weaker matches and the FK partners of strong ones end at the second."""
    by_name = {t.name: t for t in tables}
    partners = neighbours(tables)
    if not question:
        # No question: hubs first (most FK partners), then by name; every table is equally relevant.
        return sorted(tables, key=lambda t: (-len(partners[t.name]), t.name.lower())), (len(tables), len(tables))
    ranked = rank_tables(tables, question, dictionary, boost)
    score = {t.name: s for t, s in ranked}
    best = ranked[0][1] if ranked else 0.0
    if best <= 0:
        return sorted(tables, key=lambda t: (-len(partners[t.name]), t.name.lower())), (0, 0)
    strong = [t.name for t, value in ranked if value >= STRONG_MATCH * best]
    matched = [t.name for t, value in ranked if 0 < value < STRONG_MATCH * best]
    # Strong matches, then the tables that join them (shortest FK paths), then the other matches, then the
    # remaining FK partners of strong matches (likely joins), then everything else (hubs first).
    order: dict[str, None] = dict.fromkeys(strong)
    order.update(dict.fromkeys(bridges(strong, partners)))
    first = len(order)
    order.update(dict.fromkeys(n for n in matched if n not in order))
    for name in strong:
        order.update(dict.fromkeys(sorted(partners[name], key=lambda n: -score[n])))
    second = len(order)
    rest = sorted((t for t in tables if t.name not in order), key=lambda t: (-len(partners[t.name]), t.name.lower()))
    return [by_name[n] for n in order] + rest, (first, second)


def _omitted_line(names: Iterable[str], total: int, room: int) -> str:
    """One line naming the ``total`` tables left out (``names`` in priority order), cut to ``room`` characters."""
    if not total:
        return ""
    prefix = f"{OMITTED_PREFIX}{total} tabelas existem (omitidas aqui; liste com search_schema ou peça pelo nome): "
    return names_within(prefix, names, room, lambda i: f" … e mais {total - i}")


def render(
    tables: Sequence[TableInfo],
    question: str | None,
    budget: int,
    dialect: str | None = None,
    *,
    dictionary: Dictionary = EMPTY,
    values: Sequence[ValueMatch] = (),
    boost: Mapping[str, float] | None = None,
) -> tuple[str, list[str]]:
    """The compact text (``len <= budget``) and the names of the tables it leaves out.

    Tables are taken in ``priority_order``; one that does not fit is skipped (and listed by name) while
    smaller ones after it may still fit. If even the first table does not fit, its first lines are kept.
    ``values`` (the values the question names) raise their tables' priority and are listed as
    ``tabela.coluna = 'valor'`` lines after the dialect line. ``boost`` adds relevance to tables by name.
    """
    budget = max(budget, _MIN_BUDGET)
    hints = values_text(values, int(budget * _HINTS_SHARE))
    header = "\n".join(part for part in (f"-- dialect: {dialect}" if dialect else "", hints) if part)
    extra = value_boost(values)
    for name, bonus in (boost or {}).items():
        extra[name] = extra.get(name, 0.0) + bonus
    ordered, tiers = _prioritized(tables, question, dictionary, extra)
    names = [t.qualified_name for t in ordered]
    full = ["\n".join(table_block(t)) for t in ordered] or ["-- nenhuma tabela ou view encontrada"]
    whole = "\n\n".join([header, *full] if header else full)
    if len(whole) <= budget:
        return whole, []
    parsed = Question.parse(question or "", dictionary)
    referenced = referenced_columns(tables)
    named: dict[str, set[str]] = {}
    for match in values:
        named.setdefault(match.table, set()).add(match.column)
    pruned = []
    for table, block in zip(ordered, full, strict=True):
        keep = columns_to_keep(table, parsed, referenced.get(table.name, ()), named.get(table.name, ()), question or "")
        pruned.append(block if keep is None else "\n".join(table_block(table, keep)))
    outlines = [outline(t) for t in ordered]
    return _fit(header, names, [full, pruned, outlines], tiers, budget)


def _fit(
    header: str, names: list[str], levels: list[list[str]], tiers: tuple[int, int], budget: int
) -> tuple[str, list[str]]:
    """Choose a block per table — whole, pruned, one-line outline or none — so that everything fits ``budget``.

    ``levels`` are the blocks of every table from the most to the least detailed; ``tiers`` end the strongly
    relevant tables and the related ones. First the strongly relevant tables are taken pruned (else as
    outlines), then the related ones as outlines, then the strongly relevant ones whole, then every other table
    as an outline; finally blocks are upgraded in priority order (pruned, then whole) while the budget allows.
    A table that does not fit is skipped (smaller ones after it may fit) and listed by name on the last line.
    If even the first table does not fit, its first lines are kept.
    """
    full, pruned, outlines = levels
    relevant, related = tiers
    room = int(budget * _OMITTED_SHARE)
    chosen: dict[int, str] = {}
    used = [len(header), 1 if header else 0]  # characters of the chosen parts, number of parts
    # The omitted-tables line never exceeds this (its prefix, one name and the "… e mais N" tail beyond ``room``).
    omitted_bound = room + 80 + max((len(n) for n in names), default=0)

    def try_set(index: int, block: str) -> bool:
        previous = chosen.get(index)
        if previous == block:
            return True
        parts = used[1] + (previous is None)
        body = used[0] - (len(previous) if previous is not None else 0) + len(block) + 2 * max(parts - 1, 0)
        left_out = len(names) - len(chosen) - (previous is None)
        if left_out and body + omitted_bound + 2 > budget:  # only measure the omitted line when it may matter
            rest = (names[i] for i in range(len(names)) if i != index and i not in chosen)
            body += len(_omitted_line(rest, left_out, room)) + 2
        if body > budget:
            return False
        used[0] += len(block) - (len(previous) if previous is not None else 0)
        used[1] = parts
        chosen[index] = block
        return True

    for i in range(relevant):
        if try_set(i, pruned[i]) or try_set(i, outlines[i]):
            continue
        if i == 0 and not chosen:
            head = len(header) + (2 if header else 0)
            others = _omitted_line(names[1:], len(names) - 1, room)
            cut = _fit_lines(pruned[0].split("\n"), budget - head - (len(others) + 2 if others else 0))
            if cut:
                chosen[0] = cut
                used[0] += len(cut)
                used[1] += 1
    for i in range(relevant, related):
        try_set(i, outlines[i])
    for i in range(relevant):
        if i in chosen and chosen[i] in (pruned[i], outlines[i]):
            try_set(i, full[i]) or try_set(i, pruned[i])
    for i in range(related, len(names)):
        try_set(i, outlines[i])
    for level in (pruned, full):
        for i in range(relevant, len(names)):
            if i in chosen:
                try_set(i, level[i])
    left_out = [names[i] for i in range(len(names)) if i not in chosen]
    parts = ([header] if header else []) + [chosen[i] for i in sorted(chosen)]
    text = "\n\n".join(parts)
    if left_out:
        text += ("\n\n" if text else "") + _omitted_line(left_out, len(left_out), room)
    return text[:budget], left_out


def _fit_lines(lines: list[str], room: int) -> str:
    kept: list[str] = []
    size = 0
    for n, line in enumerate(lines):
        marker = f"  … (+{len(lines) - n} linhas)"
        if size + len(line) + 1 + len(marker) + 1 > room:
            return "\n".join([*kept, marker]) if kept else ""
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def render_prompt(
    schema: SchemaResult | Sequence[TableInfo],
    question: str | None = None,
    budget: int = 6000,
    *,
    dictionary: Dictionary = EMPTY,
    values: Sequence[ValueMatch] = (),
) -> str:
    """Compact prompt text of ``schema`` (a ``SchemaResult`` or a list of tables) in at most ``budget`` chars."""
    if isinstance(schema, SchemaResult):
        return render(schema.tables, question, budget, schema.dialect, dictionary=dictionary, values=values)[0]
    return render(schema, question, budget, dictionary=dictionary, values=values)[0]
