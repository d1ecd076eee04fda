"""How tables join: FK neighbours, shortest join paths between the tables a question is about, and FKs
inferred from naming when a table declares none.

Inferred FKs (``ForeignKeyInfo.inferred``) come from column names: ``cliente_id`` / ``id_cliente`` /
``clienteId`` / ``cod_cliente`` pointing at a table named ``cliente(s)`` with a one-column primary key, or a
column named like another table's own primary key column (``singer_id`` -> ``singer.singer_id``).
``confirm_by_values`` then checks them against the data (a bounded, read-only query): a candidate whose
sampled values are mostly missing from the referenced key is dropped; one that passes is marked
``nome e valores``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.schema_inspect.models import ForeignKeyInfo, TableInfo
from tools.schema_inspect.stats import savepoint
from tools.schema_inspect.text import singular, split_identifier

_KEY_AFFIXES = ("id", "cod", "codigo", "fk", "code", "key", "num", "no", "nr")
OVERLAP_SAMPLE = 200  # values of the referencing column checked against the referenced key
OVERLAP_MIN = 0.8  # share of sampled values that must exist in the referenced key
MAX_CHECKS = 200  # candidate FKs checked against the data per inspection


def neighbours(tables: Sequence[TableInfo]) -> dict[str, list[str]]:
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


def _path(start: str, goal: str, partners: dict[str, list[str]], limit: int = 4) -> list[str]:
    """Tables strictly between ``start`` and ``goal`` on a shortest FK path (at most ``limit`` hops), or []."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        if node == goal:
            path: list[str] = []
            step = previous[node]
            while step is not None and step != start:
                path.append(step)
                step = previous[step]
            return path[::-1]
        if depth >= limit:
            continue
        for mate in partners.get(node, ()):
            if mate not in previous:
                previous[mate] = node
                queue.append((mate, depth + 1))
    return []


def bridges(targets: Sequence[str], partners: dict[str, list[str]]) -> list[str]:
    """Tables needed to join each pair of ``targets`` (shortest FK paths), in order of first need."""
    found: dict[str, None] = {}
    for i, start in enumerate(targets):
        for goal in targets[i + 1 :]:
            for name in _path(start, goal, partners):
                if name not in targets:
                    found[name] = None
    return list(found)


def _table_names(tables: Iterable[TableInfo]) -> dict[str, TableInfo]:
    """Folded name variants -> table: ``clientes``, ``cliente``, ``tb_cliente`` all find ``clientes``."""
    index: dict[str, TableInfo] = {}
    for table in tables:
        words = [w for w in split_identifier(table.name) if w not in ("tb", "tbl")]
        if not words:
            continue
        joined = "_".join(words)
        for variant in (joined, singular(joined), "_".join([*words[:-1], singular(words[-1])])):
            index.setdefault(variant, table)
    return index


def _referenced_name(column: str) -> str | None:
    """``cliente_id`` / ``id_cliente`` / ``clienteId`` / ``cod_cliente`` -> ``cliente``; None if no key affix."""
    words = split_identifier(column)
    if len(words) < 2:
        return None
    if words[-1] in _KEY_AFFIXES:
        return "_".join(words[:-1])
    if words[0] in _KEY_AFFIXES:
        return "_".join(words[1:])
    return None


def infer_foreign_keys(tables: Sequence[TableInfo]) -> int:
    """Add name-inferred FKs to tables that declare none; returns how many were added."""
    by_name = _table_names(tables)
    pk_columns: dict[str, TableInfo] = {}
    for table in tables:
        if len(table.primary_key) == 1 and table.primary_key[0].lower() not in ("id", "codigo", "code"):
            pk_columns.setdefault(table.primary_key[0].lower(), table)
    added = 0
    for table in tables:
        if table.foreign_keys or table.kind != "table":
            continue
        for column in table.columns:
            if column.name in table.primary_key and len(table.primary_key) == 1:
                continue
            target = None
            named = _referenced_name(column.name)
            if named is not None:
                target = by_name.get(named) or by_name.get(singular(named))
            if target is None:
                target = pk_columns.get(column.name.lower())
            if target is None or target is table or len(target.primary_key) != 1:
                continue
            table.foreign_keys.append(
                ForeignKeyInfo(
                    columns=[column.name],
                    referred_schema=target.schema_,
                    referred_table=target.name,
                    referred_columns=list(target.primary_key),
                    inferred="nome",
                )
            )
            added += 1
    return added


def confirm_by_values(conn: Connection, tables: Sequence[TableInfo]) -> None:
    """Check name-inferred FKs against the data; drop those whose values mostly do not exist in the target."""
    by_name = {t.name: t for t in tables}
    checks = 0
    for table in tables:
        kept: list[ForeignKeyInfo] = []
        for fk in table.foreign_keys:
            if fk.inferred != "nome" or checks >= MAX_CHECKS:
                kept.append(fk)
                continue
            checks += 1
            target = by_name.get(fk.referred_table)
            share = _overlap(conn, table, fk.columns[0], target, fk.referred_columns[0]) if target else None
            if share is None:
                kept.append(fk)  # no data to compare (empty table) or the check failed: keep the naming guess
            elif share >= OVERLAP_MIN:
                kept.append(fk.model_copy(update={"inferred": "nome e valores"}))
        table.foreign_keys[:] = kept


def _overlap(conn: Connection, table: TableInfo, column: str, target: TableInfo, key: str) -> float | None:
    source = sa.table(table.name, sa.column(column), schema=table.schema_)
    referenced = sa.table(target.name, sa.column(key), schema=target.schema_)
    sample = (
        sa.select(source.c[column].label("v")).where(source.c[column].is_not(None)).limit(OVERLAP_SAMPLE).subquery()
    )
    found = sa.exists().where(referenced.c[key] == sample.c.v)
    stmt = sa.select(sa.func.count(), sa.func.sum(sa.case((found, 1), else_=0))).select_from(sample)
    try:
        with savepoint(conn):
            total, hits = conn.execute(stmt).one()
    except sa.exc.SQLAlchemyError:
        return None
    if not total:
        return None
    return float(hits or 0) / float(total)
