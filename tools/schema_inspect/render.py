"""Compact DDL-like text of a schema for LLM prompts, within a character budget.

When everything does not fit, the most relevant tables (``relevance.rank_tables``) come first,
each strong match followed by its FK join partners; the names of the tables left out are listed
on one line so the model knows they exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from tools.schema_inspect.bilingual import EMPTY, Dictionary
from tools.schema_inspect.models import OMITTED_PREFIX, SchemaResult, TableInfo
from tools.schema_inspect.relevance import rank_tables

if TYPE_CHECKING:
    from tools.values.match import ValueMatch

STRONG_MATCH = 0.5  # tables scoring at least this share of the best score bring their FK partners along
_OMITTED_SHARE = 0.25  # at most this share of the budget lists the omitted table names
_MIN_BUDGET = 200
_VALUES_CHARS = 90  # sample values shown per column in the compact text
VALUE_BOOST = 6.0  # relevance added to a table holding a value the question names (times the match score)
_HINTS_SHARE = 0.2  # at most this share of the budget lists the values the question names
VALUES_HEADER = "-- valores citados na pergunta (grafia exata do banco):"


def _values_text(samples: Sequence[str], more: bool) -> str:
    shown: list[str] = []
    size = 0
    for value in samples:
        if shown and size + len(value) > _VALUES_CHARS:
            more = True
            break
        shown.append(value)
        size += len(value) + 2
    return ", ".join(shown) + (", …" if more else "")


def _column_line(table: TableInfo, index: int) -> str:
    column = table.columns[index]
    parts = [f"  {column.name}"]
    if column.type:
        parts.append(column.type)
    if table.primary_key == [column.name]:
        parts.append("PK")
    elif not column.nullable:
        parts.append("NOT NULL")
    default = column.default
    if default and "nextval(" not in default and len(default) <= 40:
        parts.append(f"DEFAULT {default}")
    notes = []
    if column.comment:
        notes.append(column.comment.replace("\n", " ")[:120])
    if column.samples:
        notes.append("valores: " + _values_text(column.samples, column.more_values))
    line = " ".join(parts)
    return f"{line}  -- {'; '.join(notes)}" if notes else line


def table_block(table: TableInfo) -> list[str]:
    """Lines describing one table: header, columns, composite PK, FKs, unique indexes."""
    header = f"{'VIEW' if table.kind == 'view' else 'TABLE'} {table.qualified_name}"
    if table.row_count is not None:
        header += f" (~{table.row_count} linhas)"
    if table.comment:
        header += f"  -- {table.comment.replace(chr(10), ' ')[:160]}"
    lines = [header]
    lines += [_column_line(table, i) for i in range(len(table.columns))]
    if len(table.primary_key) > 1:
        lines.append(f"  PK ({', '.join(table.primary_key)})")
    for fk in table.foreign_keys:
        target = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
        if len(fk.columns) == 1 and len(fk.referred_columns) == 1:
            lines.append(f"  FK {fk.columns[0]} -> {target}.{fk.referred_columns[0]}")
        else:
            lines.append(f"  FK ({', '.join(fk.columns)}) -> {target}({', '.join(fk.referred_columns)})")
    for ix in table.indexes:
        if ix.unique and ix.columns and ix.columns != table.primary_key:
            lines.append(f"  UNIQUE ({', '.join(ix.columns)})")
    return lines


def _neighbours(tables: Sequence[TableInfo]) -> dict[str, list[str]]:
    """Table name -> FK partners (referenced tables first, then tables referencing it)."""
    names = {t.name for t in tables}
    out: dict[str, list[str]] = {t.name: [] for t in tables}
    incoming: dict[str, list[str]] = {t.name: [] for t in tables}
    for t in tables:
        for fk in t.foreign_keys:
            if fk.referred_table in names and fk.referred_table != t.name:
                out[t.name].append(fk.referred_table)
                incoming[fk.referred_table].append(t.name)
    return {n: list(dict.fromkeys(out[n] + incoming[n])) for n in out}


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
    by_name = {t.name: t for t in tables}
    partners = _neighbours(tables)
    if not question:
        # No question: hubs first (most FK partners), then by name.
        return sorted(tables, key=lambda t: (-len(partners[t.name]), t.name.lower()))
    ranked = rank_tables(tables, question, dictionary, boost)
    score = {t.name: s for t, s in ranked}
    best = ranked[0][1] if ranked else 0.0
    order: dict[str, None] = {}
    deferred: dict[str, None] = {}
    for table, value in ranked:
        if value <= 0:
            break
        order[table.name] = None
        mates = sorted(partners[table.name], key=lambda n: -score[n])
        target = order if value >= STRONG_MATCH * best else deferred
        target.update(dict.fromkeys(m for m in mates if m not in order))
    order.update(dict.fromkeys(n for n in deferred if n not in order))
    rest = sorted((t for t in tables if t.name not in order), key=lambda t: (-len(partners[t.name]), t.name.lower()))
    return [by_name[n] for n in order] + rest


def _omitted_line(names: Iterable[str], total: int, room: int) -> str:
    """One line naming the ``total`` tables left out (``names`` in priority order), cut to ``room`` characters."""
    if not total:
        return ""
    prefix = f"{OMITTED_PREFIX}{total} tabelas existem (omitidas aqui; liste com search_schema ou peça pelo nome): "
    shown: list[str] = []
    size = len(prefix)
    for i, name in enumerate(names):
        more = f" … e mais {total - i}"
        if shown and size + len(name) + 2 + len(more) > room:
            return prefix + ", ".join(shown) + more
        shown.append(name)
        size += len(name) + 2
    return prefix + ", ".join(shown)


def render(
    tables: Sequence[TableInfo],
    question: str | None,
    budget: int,
    dialect: str | None = None,
    *,
    dictionary: Dictionary = EMPTY,
    values: Sequence[ValueMatch] = (),
) -> tuple[str, list[str]]:
    """The compact text (``len <= budget``) and the names of the tables it leaves out.

    Tables are taken in ``priority_order``; one that does not fit is skipped (and listed by name) while
    smaller ones after it may still fit. If even the first table does not fit, its first lines are kept.
    ``values`` (the values the question names) raise their tables' priority and are listed as
    ``tabela.coluna = 'valor'`` lines after the dialect line.
    """
    budget = max(budget, _MIN_BUDGET)
    hints = values_text(values, int(budget * _HINTS_SHARE))
    header = "\n".join(part for part in (f"-- dialect: {dialect}" if dialect else "", hints) if part)
    ordered = priority_order(tables, question, dictionary, value_boost(values))
    names = [t.qualified_name for t in ordered]
    blocks = ["\n".join(table_block(t)) for t in ordered] or ["-- nenhuma tabela ou view encontrada"]
    full = "\n\n".join([header, *blocks] if header else blocks)
    if len(full) <= budget:
        return full, []
    room = int(budget * _OMITTED_SHARE)
    kept: list[str] = [header] if header else []
    used = len(header)
    skipped: list[str] = []
    for i, block in enumerate(blocks):
        if i > 0 and used + 2 + len(block) > budget:
            skipped.append(names[i])  # cannot fit whatever the reserve: skip without measuring it
            continue
        others = len(skipped) + len(names) - i - 1
        reserve = len(_omitted_line(chain(skipped, names[i + 1 :]), others, room)) + 2 if others else 0
        separator = 2 if kept else 0
        if used + separator + len(block) + reserve <= budget:
            kept.append(block)
            used += separator + len(block)
        elif i == 0:  # the best table alone is too big: keep as many of its lines as fit
            cut = _fit_lines(block.split("\n"), budget - used - separator - reserve)
            if cut:
                kept.append(cut)
                used += separator + len(cut)
            else:
                skipped.append(names[i])
        else:
            skipped.append(names[i])
    text = "\n\n".join(kept)
    if skipped:
        text += ("\n\n" if text else "") + _omitted_line(skipped, len(skipped), room)
    return text[:budget], skipped


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
