"""The ``inspect_schema`` tool: resolve the connection, reflect (or reuse the cache), render for prompts."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from tools.context import ToolContext
from tools.db.connect import ResolvedConnection, db_error, get_engine, resolve_connection
from tools.errors import InvalidInputError
from tools.policy import policy_for
from tools.policy.schema import visible_tables
from tools.schema_inspect.bilingual import EMPTY, Dictionary, load_dictionary
from tools.schema_inspect.cache import Key, clear_schemas, fresh_schema, schema_cache, store_schema
from tools.schema_inspect.introspect import read_only, reflect, refuse_shadowing_functions
from tools.schema_inspect.models import InspectSchemaInput, SchemaResult
from tools.schema_inspect.render import render

if TYPE_CHECKING:
    from tools.values.match import ValueMatch

log = logging.getLogger(__name__)

_PROMPTS_LOCK = threading.Lock()
PREFERRED_BOOST = 8.0  # relevance added to tables a caller prefers (an LLM's pick on a very large schema)


def _cache_key(conn: ResolvedConnection, params: InspectSchemaInput) -> Key:
    tables = tuple(sorted({t.strip().lower() for t in params.tables})) if params.tables else None
    schema = params.schema.strip() if params.schema and params.schema.strip() else None
    return (conn.url.render_as_string(hide_password=False), schema, tables)


def _load(ctx: ToolContext, conn: ResolvedConnection, params: InspectSchemaInput) -> SchemaResult:
    engine = get_engine(ctx, conn)
    schema = params.schema.strip() if params.schema and params.schema.strip() else None
    try:
        with read_only(engine, ctx.query_limits.timeout_s) as db:
            if conn.dialect == "postgres" and conn.allow_privileged and not conn.is_demo:
                refuse_shadowing_functions(db)
            tables, missing = reflect(db, schema=schema, tables=params.tables)
    except SQLAlchemyError as error:
        log.warning("schema inspection failed for %s: %s", conn.masked_url, type(error).__name__)
        raise db_error(error, conn) from None
    compact, omitted = render(tables, None, ctx.schema_prompt_budget, conn.dialect)
    if missing:
        compact = _with_missing(compact, missing, ctx.schema_prompt_budget)
    return SchemaResult(
        connection=conn.name,
        dialect=conn.dialect,
        tables=tables,
        compact=compact,
        truncated_tables=omitted,
        not_found=missing,
        omitted_count=len(omitted),
    )


def _with_missing(compact: str, missing: list[str], budget: int) -> str:
    line = f"-- não encontradas: {', '.join(missing)}"[:200]
    return (compact[: max(0, budget - len(line) - 1)] + "\n" + line).strip()


def inspect_schema(params: InspectSchemaInput, ctx: ToolContext) -> SchemaResult:
    """Describe the database: its tables and views, columns (type, nullable, default, comment), primary keys,
    foreign keys (how tables join), unique indexes, approximate row counts and up to 5 sample values of
    low-cardinality text columns (e.g. uf: SP, RJ, MG; status: entregue, atrasada).

    Call it before writing SQL for a database whose tables you have not seen in this conversation, or when a
    query failed because of an unknown table or column. Pass the user's question in `question`: on big schemas
    the text keeps the tables most relevant to it plus their join partners (within `budget` characters) and
    names some of the others in one line; ask again with `tables=[...]` to see any of those. For a large
    database, search_schema is the cheaper first step (names only, paged). Sample values show the real spelling and case
    stored in the database: copy them exactly into WHERE clauses. Results are cached for a few minutes;
    `refresh=true` reads the schema again.
    """
    conn = resolve_connection(ctx, params.connection)
    return prompt_for(ctx, conn, params, params.question)


def prompt_for(
    ctx: ToolContext,
    conn: ResolvedConnection,
    params: InspectSchemaInput,
    question: str | None,
    *,
    prefer: Sequence[str] = (),
) -> SchemaResult:
    """The (cached) schema of ``conn`` filtered by its policy, with its compact text rendered for ``question``
    (value hints, dictionary) within ``params.budget``; tables in ``prefer`` (e.g. picked by an LLM) rank higher."""
    result = cached = cached_schema(ctx, conn, params)
    policy = policy_for(ctx.policies, conn.name)
    restricted = policy.restricts_names or not policy.samples
    if restricted:  # hidden tables/columns never reach the text, and masked columns carry no samples
        visible = visible_tables(policy, result.tables)
        hidden = sorted({t.name for t in result.tables} - {t.name for t in visible}) if params.tables else []
        result = result.model_copy(update={"tables": visible, "not_found": [*result.not_found, *hidden]})
    budget = params.budget or ctx.schema_prompt_budget
    question = question.strip() if question else ""
    if not question:
        return result if budget == ctx.schema_prompt_budget and not restricted else with_prompt(result, None, budget)
    from tools.values.service import question_values  # tools.values imports this package: import on use

    values = question_values(ctx, conn, result.tables, question)
    dictionary = load_dictionary(ctx.dictionary_dirs)
    boost = dict.fromkeys(prefer, PREFERRED_BOOST)
    key = (question, budget, tuple(values), tuple(sorted(boost.items())), id(dictionary), policy.model_dump_json())
    return _rendered(ctx, cached, key, lambda: with_prompt(result, question, budget, dictionary, values, boost))


PROMPT_CACHE_SIZE = 256


def _rendered(
    ctx: ToolContext, base: SchemaResult, key: tuple[object, ...], make: Callable[[], SchemaResult]
) -> SchemaResult:
    """``make()`` once per (schema result, question, budget, values, boost): ranking a few hundred tables for a
    question takes ~100 ms, and clients repeat the same call. Tied to the schema result object, so a refresh or an
    expired schema cache entry renders again; a small LRU per process."""
    with _PROMPTS_LOCK:
        cache: OrderedDict[tuple[object, ...], tuple[SchemaResult, SchemaResult]] = ctx.caches.setdefault(
            "schema_prompts", OrderedDict()
        )
        full_key = (id(base), *key)
        hit = cache.get(full_key)
        if hit is not None and hit[0] is base:
            cache.move_to_end(full_key)
            return hit[1]
    rendered = make()
    with _PROMPTS_LOCK:
        cache[full_key] = (base, rendered)
        while len(cache) > PROMPT_CACHE_SIZE:
            cache.popitem(last=False)
    return rendered


def allowed_schemas(ctx: ToolContext, conn: ResolvedConnection) -> tuple[str, ...] | None:
    """The schemas (PostgreSQL) or the database (MariaDB/MySQL) ``conn`` may read, like ``run_query``; None when the
    connection is not confined (SQLite, or no database named)."""
    if conn.dialect == "postgres":
        from tools.safe_query.scope import connection_schemas  # lazy: tools.safe_query imports this module

        return connection_schemas(ctx, conn, get_engine(ctx, conn), policy_for(ctx.policies, conn.name))
    if conn.dialect == "mysql" and conn.url.database:
        return (conn.url.database,)
    return None


def confined(ctx: ToolContext, conn: ResolvedConnection, params: InspectSchemaInput) -> InspectSchemaInput:
    """``params`` with its schema inside the connection's own (``allowed_schemas``), or ``InvalidInputError``.

    A schema outside them is refused (its table names, comments and sample values are not the connection's to
    show); no schema on a PostgreSQL connection whose policy leaves out the login's default schema means the
    policy's first schema."""
    allowed = allowed_schemas(ctx, conn)
    if allowed is None:
        return params
    schema = params.schema.strip() if params.schema and params.schema.strip() else None
    if schema is not None:
        if schema.lower() not in {name.lower() for name in allowed}:
            raise InvalidInputError(
                f"O esquema {schema} está fora dos esquemas desta conexão ({', '.join(allowed)}); consulte só esses.",
                detail={"code": "schema_not_allowed", "schema": schema, "allowed": list(allowed)},
            )
        return params
    if conn.dialect == "postgres" and policy_for(ctx.policies, conn.name).schemas:
        engine = get_engine(ctx, conn)
        default = engine.dialect.default_schema_name
        if default is None:
            try:
                with engine.connect() as db:
                    default = db.dialect.default_schema_name
            except SQLAlchemyError as error:
                raise db_error(error, conn) from None
        if default not in allowed:
            return params.model_copy(update={"schema_": allowed[0]})
    return params


def cached_schema(ctx: ToolContext, conn: ResolvedConnection, params: InspectSchemaInput) -> SchemaResult:
    """The reflected schema of ``conn`` (``params.schema``/``tables``), from the per-process cache when fresh.

    Confined like ``run_query``: only the connection's schemas (PostgreSQL) or database (MariaDB/MySQL)."""
    from tools.values.service import clear_value_index

    params = confined(ctx, conn, params)
    cache = schema_cache(ctx)
    key = _cache_key(conn, params)
    if params.refresh:
        clear_value_index(ctx, conn)
    result = None if params.refresh else fresh_schema(cache, key, ctx.schema_cache_ttl_s)
    if result is None:
        with cache.loading(key):
            # Another thread may have loaded it while this one waited for the lock.
            result = None if params.refresh else fresh_schema(cache, key, ctx.schema_cache_ttl_s)
            if result is None:
                result = _load(ctx, conn, params)
                if ctx.schema_cache_ttl_s > 0:
                    store_schema(cache, key, result)
    return result


def with_prompt(
    result: SchemaResult,
    question: str | None,
    budget: int,
    dictionary: Dictionary = EMPTY,
    values: Sequence[ValueMatch] = (),
    boost: Mapping[str, float] | None = None,
) -> SchemaResult:
    """A copy of ``result`` whose ``compact`` text is rendered for ``question`` within ``budget`` characters."""
    compact, omitted = render(
        result.tables, question, budget, result.dialect, dictionary=dictionary, values=values, boost=boost
    )
    if result.not_found:
        compact = _with_missing(compact, result.not_found, budget)
    return result.model_copy(update={"compact": compact, "truncated_tables": omitted, "omitted_count": len(omitted)})


def clear_schema_cache(ctx: ToolContext, connection: str | None = None) -> int:
    """Forget cached schemas (all, or those of one connection name/URL); returns how many entries were dropped."""
    from tools.values.service import clear_value_index

    cache = schema_cache(ctx)
    if connection is None:
        clear_value_index(ctx)
        return clear_schemas(cache)
    conn = resolve_connection(ctx, connection)
    clear_value_index(ctx, conn)
    return clear_schemas(cache, conn.url.render_as_string(hide_password=False))
