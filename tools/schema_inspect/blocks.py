"""The text of one table in the compact schema: full, or pruned to the columns that matter for a question.

A pruned block keeps the primary key, the columns that join (own FKs and columns other tables reference), the
columns the question is about (names, comments, sample values, or values it names) and lists the others by
name on one ``-- +N colunas omitidas: ...`` line, so the model knows they exist and can ask for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence

from tools.schema_inspect.models import ColumnInfo, TableInfo
from tools.schema_inspect.relevance import Question, identifier_tokens
from tools.schema_inspect.text import fold

SAMPLE_CHARS = 90  # sample values shown per column in the compact text
PRUNE_MIN_COLUMNS = 7  # narrower tables are always shown whole
OMITTED_COLUMNS_CHARS = 160


def _values_text(samples: Sequence[str], more: bool) -> str:
    shown: list[str] = []
    size = 0
    for value in samples:
        if shown and size + len(value) > SAMPLE_CHARS:
            more = True
            break
        shown.append(value)
        size += len(value) + 2
    return ", ".join(shown) + (", …" if more else "")


def column_line(table: TableInfo, column: ColumnInfo) -> str:
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


def names_within(prefix: str, names: Iterable[str], room: int, more: Callable[[int], str]) -> str:
    """``prefix`` + comma-separated ``names`` in at most ``room`` characters (at least one name); when some do not
    fit, ``more(i)`` (``i`` = how many were shown) says how many are left out."""
    shown: list[str] = []
    size = len(prefix)
    for i, name in enumerate(names):
        tail = more(i)
        if shown and size + len(name) + 2 + len(tail) > room:
            return prefix + ", ".join(shown) + tail
        shown.append(name)
        size += len(name) + 2
    return prefix + ", ".join(shown)


def _omitted_columns(names: list[str]) -> str:
    prefix = f"  -- +{len(names)} colunas omitidas: "
    return names_within(prefix, names, OMITTED_COLUMNS_CHARS, lambda i: f", … (+{len(names) - i})")


def table_block(table: TableInfo, keep: Collection[str] | None = None) -> list[str]:
    """Lines describing one table: header, columns (all, or those in ``keep``), composite PK, FKs, unique indexes."""
    header = f"{'VIEW' if table.kind == 'view' else 'TABLE'} {table.qualified_name}"
    if table.row_count is not None:
        header += f" (~{table.row_count} linhas)"
    if table.comment:
        header += f"  -- {table.comment.replace(chr(10), ' ')[:160]}"
    lines = [header]
    shown = [c for c in table.columns if keep is None or c.name in keep]
    lines += [column_line(table, c) for c in shown]
    if len(shown) < len(table.columns):
        lines.append(_omitted_columns([c.name for c in table.columns if keep is not None and c.name not in keep]))
    if len(table.primary_key) > 1:
        lines.append(f"  PK ({', '.join(table.primary_key)})")
    for fk in table.foreign_keys:
        target = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
        mark = f"  -- inferida ({fk.inferred})" if fk.inferred else ""
        keyword = "FK?" if fk.inferred else "FK"
        if len(fk.columns) == 1 and len(fk.referred_columns) == 1:
            lines.append(f"  {keyword} {fk.columns[0]} -> {target}.{fk.referred_columns[0]}{mark}")
        else:
            lines.append(f"  {keyword} ({', '.join(fk.columns)}) -> {target}({', '.join(fk.referred_columns)}){mark}")
    for ix in table.indexes:
        visible = keep is None or set(ix.columns) <= set(keep)
        if ix.unique and ix.columns and ix.columns != table.primary_key and visible:
            lines.append(f"  UNIQUE ({', '.join(ix.columns)})")
    return lines


def outline(table: TableInfo) -> str:
    """One line per table: name, row count and column names with keys and joins, no types or values.

    ``TABLE itens_pedido (~5400 linhas): id PK, pedido_id -> pedidos, produto_id -> produtos, quantidade``"""
    joins: dict[str, str] = {}
    for fk in table.foreign_keys:
        if len(fk.columns) == 1:
            joins[fk.columns[0]] = f" -> {fk.referred_table}{'?' if fk.inferred else ''}"
    parts = []
    for column in table.columns:
        key = " PK" if table.primary_key == [column.name] else ""
        parts.append(f"{column.name}{key}{joins.get(column.name, '')}")
    rows = f" (~{table.row_count} linhas)" if table.row_count is not None else ""
    kind = "VIEW" if table.kind == "view" else "TABLE"
    return f"{kind} {table.qualified_name}{rows}: {', '.join(parts)}"


def referenced_columns(tables: Sequence[TableInfo]) -> dict[str, set[str]]:
    """Table name -> its columns that other tables' FKs point at."""
    found: dict[str, set[str]] = {}
    for table in tables:
        for fk in table.foreign_keys:
            found.setdefault(fk.referred_table, set()).update(fk.referred_columns)
    return found


_LABEL_NAMES = frozenset({"nome", "name", "titulo", "title", "descricao", "description", "razao", "label"})
_TIME_TYPES = re.compile(r"DATE|TIME", re.IGNORECASE)
_NUMBER_TYPES = re.compile(r"NUM|DEC|INT|REAL|FLOAT|DOUBLE|MONEY", re.IGNORECASE)
_TIME_WORDS = re.compile(
    r"\b(?:hoje|ontem|amanha|dia|dias|semana|semanas|mes|meses|ano|anos|trimestre|semestre|periodo|data|datas|quando|"
    r"desde|ultim\w*|passad\w*|recente\w*|antig\w*|janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|"
    r"outubro|novembro|dezembro|\d{4}|year|month|week|day|date|when|since|last|recent)\b"
)
_AMOUNT_WORDS = re.compile(
    r"\b(?:total|soma|somad\w*|valor\w*|media|medio|gast\w*|fatur\w*|receita|quanto|quanta|preco\w*|caro\w*|"
    r"barat\w*|maior\w*|menor\w*|ticket|margem|lucro|custo\w*|sum|average|amount|price|revenue|cost)\b"
)


def _implied(column: ColumnInfo, table: TableInfo, folded_question: str) -> bool:
    """Columns a question usually needs without naming them: the row's label (``nome``), and its dates or
    amounts when the question talks about time or money."""
    if _is_key_like(column, table):
        return False
    words = set(identifier_tokens(column.name))
    if words & _LABEL_NAMES:
        return True
    if _TIME_TYPES.search(column.type or "") or words & {"data", "date", "dt"}:
        return bool(_TIME_WORDS.search(folded_question))
    if _NUMBER_TYPES.search(column.type or ""):
        return bool(_AMOUNT_WORDS.search(folded_question))
    return False


def _is_key_like(column: ColumnInfo, table: TableInfo) -> bool:
    lowered = column.name.lower()
    return column.name in table.primary_key or lowered.endswith("_id") or lowered == "id"


def _about(column: ColumnInfo, question: Question) -> bool:
    """The question names the column, one of its sample values, or words of its comment."""
    if question.matched_fraction(identifier_tokens(column.name)) > 0:
        return True
    if column.samples and any(question.mentions(v) for v in column.samples):
        return True
    return bool(column.comment) and question.mentions(column.comment or "")


def columns_to_keep(
    table: TableInfo, question: Question, referenced: Collection[str], named: Collection[str], question_text: str = ""
) -> set[str] | None:
    """Columns of a pruned block, or None when the table is narrow enough to show whole (or nothing is left out)."""
    if len(table.columns) < PRUNE_MIN_COLUMNS:
        return None
    keep = set(table.primary_key) | set(referenced) | set(named)
    for fk in table.foreign_keys:
        keep.update(fk.columns)
    if not question.empty:
        folded = fold(question_text)
        for column in table.columns:
            if _about(column, question) or _implied(column, table, folded):
                keep.add(column.name)
    if len(keep) >= len(table.columns):
        return None
    return keep
