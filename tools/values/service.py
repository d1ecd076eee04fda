"""Per-connection value indexes: built in the background at first use, cached, refreshed with the schema cache.

``question_values(ctx, conn, tables, question)`` is what prompt builders call: it returns the values the
question names when the connection's index is ready, starts building it (in a daemon thread, through a
read-only transaction with the query timeout) when it is not, and never blocks longer than
``ValueIndexLimits.wait_s``. Entries older than ``ToolContext.schema_cache_ttl_s`` are rebuilt in the
background while the old index keeps answering; ``clear_schema_cache`` drops them together with the schemas.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.cache import KeyedCache, context_cache
from tools.context import ToolContext
from tools.db.connect import ResolvedConnection, get_engine
from tools.policy import policy_for
from tools.schema_inspect.introspect import read_only
from tools.schema_inspect.models import TableInfo
from tools.values.index import ValueIndex, build_index
from tools.values.match import ValueMatch, match_values

log = logging.getLogger(__name__)

CACHE_KEY = "value_index"


@dataclass
class _Slot:
    index: ValueIndex | None = None
    built_at: float = 0.0
    building: threading.Thread | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


ValueIndexCache = KeyedCache[str, _Slot]
"""One slot per connection; a slot stays (and answers) while its index is rebuilt."""


def value_cache(ctx: ToolContext) -> ValueIndexCache:
    return context_cache(ctx.caches, CACHE_KEY, ValueIndexCache)


def _key(conn: ResolvedConnection) -> str:
    return conn.url.render_as_string(hide_password=False)


def _build(ctx: ToolContext, conn: ResolvedConnection, tables: Sequence[TableInfo], slot: _Slot) -> None:
    cache = value_cache(ctx)
    try:
        engine = get_engine(ctx, conn)
        if conn.allow_privileged and not conn.is_demo:
            # a view's code would run with the privileged login's rights, outside run_query's view checks
            tables = [table for table in tables if table.kind != "view"]
        with read_only(engine, ctx.query_limits.timeout_s) as db:
            index = build_index(db, conn.name, tables, ctx.value_index, ctx.column_filter)
        slot.index, slot.built_at, slot.error = index, cache.clock(), index.error
        log.info(
            "value index of %s: %d values from %d columns (%d sampled) in %.0f ms%s",
            conn.masked_url,
            len(index),
            index.columns_indexed,
            index.columns_sampled,
            index.build_ms,
            " (truncated)" if index.truncated else "",
        )
    except Exception as error:  # a background thread must not die silently: log, remember, answer without values
        log.warning("value index of %s failed: %s", conn.masked_url, type(error).__name__)
        slot.error = type(error).__name__
        slot.built_at = cache.clock()
    finally:
        slot.ready.set()
        slot.building = None


def ensure_index(
    ctx: ToolContext, conn: ResolvedConnection, tables: Sequence[TableInfo], *, wait_s: float | None = None
) -> ValueIndex | None:
    """The connection's value index when ready (None while the first build runs); starts or refreshes the build."""
    if not ctx.value_index.enabled:
        return None
    cache = value_cache(ctx)
    slot = cache.setdefault(_key(conn), _Slot)
    with cache.lock:
        ttl = ctx.schema_cache_ttl_s
        expired = slot.ready.is_set() and ttl > 0 and cache.age(slot.built_at) >= ttl
        if slot.building is None and (not slot.ready.is_set() or expired):
            thread = threading.Thread(
                target=_build, args=(ctx, conn, list(tables), slot), name="vozbd-value-index", daemon=True
            )
            slot.building = thread
            thread.start()
    wait = ctx.value_index.wait_s if wait_s is None else wait_s
    if slot.index is None and wait > 0:
        slot.ready.wait(wait)
    return slot.index


def question_values(
    ctx: ToolContext,
    conn: ResolvedConnection,
    tables: Sequence[TableInfo],
    question: str | None,
    *,
    limit: int = 8,
    wait_s: float | None = None,
) -> list[ValueMatch]:
    """Values of the connection that the question names (empty while the index is not ready, and always under a
    policy forbidding samples; never from a column the policy hides or masks)."""
    policy = policy_for(ctx.policies, conn.name)
    if not question or not question.strip() or not policy.samples:
        return []
    index = ensure_index(ctx, conn, tables, wait_s=wait_s)
    matches = match_values(index, question, limit) if index is not None else []
    return [match for match in matches if policy.column_visible(match.table, match.column)]


def clear_value_index(ctx: ToolContext, conn: ResolvedConnection | None = None) -> int:
    key = _key(conn) if conn is not None else None
    return value_cache(ctx).clear(None if key is None else lambda k: k == key)


@dataclass(frozen=True)
class IndexStatus:
    state: str
    """``off``, ``not_built`` (built at the first question), ``building``, ``ready`` or ``failed``."""
    values: int = 0
    columns: int = 0
    truncated: bool = False
    error: str | None = None


def index_status(ctx: ToolContext, conn: ResolvedConnection) -> IndexStatus:
    """What the value index of ``conn`` holds right now (for diagnostics); never starts a build."""
    if not ctx.value_index.enabled:
        return IndexStatus("off")
    slot = value_cache(ctx).get(_key(conn))
    if slot is None:
        return IndexStatus("not_built")
    if slot.index is None:
        return IndexStatus("building" if slot.building is not None else "failed", error=slot.error)
    index = slot.index
    return IndexStatus("ready", len(index), index.columns_indexed, index.truncated, slot.error)
