"""A connection's speech vocabulary, built from the cached schema and value index and refreshed with them.

``connection_vocabulary(ctx, "vendas")`` is what surfaces call before transcribing (the CLI's ``--db``, the API's
``connection`` field, the chat UI and the voice loop with the active connection). It reads the schema through the
schema cache and the values through ``tools.values`` (both read-only, both honouring the connection's policy:
hidden tables and columns, masked columns and ``samples: false`` never reach the vocabulary), and keeps one
vocabulary per connection until either of them is rebuilt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent.speech.vocabulary import SpeechVocabulary, VocabularyLimits, build_vocabulary
from tools.cache import KeyedCache, context_cache
from tools.context import ToolContext
from tools.db.connect import resolve_connection
from tools.errors import CodedError
from tools.policy import policy_for
from tools.policy.schema import visible_tables
from tools.schema_inspect.models import InspectSchemaInput, SchemaResult
from tools.schema_inspect.tool import cached_schema
from tools.values.index import ValueIndex
from tools.values.service import ensure_index

log = logging.getLogger(__name__)

CACHE_KEY = "speech_vocabulary"


@dataclass(frozen=True)
class _Entry:
    schema: SchemaResult
    index: ValueIndex | None
    vocabulary: SpeechVocabulary


def _cache(ctx: ToolContext) -> KeyedCache[str, _Entry]:
    return context_cache(ctx.caches, CACHE_KEY, KeyedCache[str, _Entry])


def connection_vocabulary(
    ctx: ToolContext,
    connection: str | None,
    *,
    wait_s: float | None = None,
    limits: VocabularyLimits = VocabularyLimits(),
) -> SpeechVocabulary:
    """The vocabulary of ``connection`` (None = the default connection).

    Raises the tools' typed errors (``UnknownConnectionError``, a database error) when the connection cannot be
    resolved or inspected. ``wait_s``: how long to wait for a value index still being built (default: the value
    index's own ``wait_s``); until it is ready, the schema's sample values stand in.
    """
    conn = resolve_connection(ctx, connection)
    schema = cached_schema(ctx, conn, InspectSchemaInput(connection=connection))
    policy = policy_for(ctx.policies, conn.name)
    tables = visible_tables(policy, schema.tables)
    index = ensure_index(ctx, conn, tables, wait_s=wait_s) if policy.samples else None
    cache = _cache(ctx)
    key = conn.url.render_as_string(hide_password=False)
    entry = cache.get(key)
    if entry is not None and entry.schema is schema and entry.index is index:
        return entry.vocabulary
    if index is not None:
        values = [v.value for v in index.values]
    else:  # index off, failed or still building: the samples the schema inspector read (policy-filtered)
        values = [s for t in tables for c in t.columns for s in c.samples] if policy.samples else []
    vocabulary = build_vocabulary(conn.name, tables, values, limits)
    cache.put(key, _Entry(schema, index, vocabulary))
    log.info(
        "speech vocabulary of %s: %d values, %d schema words%s",
        conn.masked_url,
        len(vocabulary),
        len(vocabulary.schema_words),
        "" if index is not None else " (value index not ready: sample values only)",
    )
    return vocabulary


def vocabulary_or_none(ctx: ToolContext, connection: str | None) -> SpeechVocabulary | None:
    """``connection_vocabulary`` for the voice paths (chat UI, voice loop): never raises and never waits for a
    value index being built, so recognition goes on (without bias) when the database cannot be read."""
    try:
        return connection_vocabulary(ctx, connection, wait_s=0.0)
    except CodedError as error:
        log.warning("no speech vocabulary for %s: %s", connection or "the default connection", error.code)
        return None
