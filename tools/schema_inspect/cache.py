"""Per-process TTL cache of inspected schemas, stored in ``ToolContext.caches`` (thread-safe)."""

from __future__ import annotations

from tools.cache import KeyedCache, context_cache
from tools.context import ToolContext
from tools.schema_inspect.models import SchemaResult

CACHE_KEY = "schema_inspect"

# (connection identity, schema, table filter)
Key = tuple[str, str | None, tuple[str, ...] | None]

SchemaCache = KeyedCache[Key, tuple[float, SchemaResult]]
"""Entries are ``(stored_at, result)``; ``stored_at`` is a reading of the cache's clock."""


def schema_cache(ctx: ToolContext) -> SchemaCache:
    """The schema cache of this context, created on first use."""
    return context_cache(ctx.caches, CACHE_KEY, SchemaCache)


def fresh_schema(cache: SchemaCache, key: Key, ttl_s: float) -> SchemaResult | None:
    """The stored result if younger than ``ttl_s`` seconds, else None (and the stale entry is dropped)."""
    entry = cache.pop_if(key, lambda entry: cache.age(entry[0]) >= ttl_s)
    return entry[1] if entry is not None else None


def store_schema(cache: SchemaCache, key: Key, result: SchemaResult) -> None:
    cache.put(key, (cache.clock(), result))


def clear_schemas(cache: SchemaCache, connection_id: str | None = None) -> int:
    """Drop every entry (or those of one connection); returns how many were dropped."""
    return cache.clear(None if connection_id is None else lambda key: key[0] == connection_id)
