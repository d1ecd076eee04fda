"""Input and output models of the ``search_schema`` tool (names-first, paged schema discovery)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["schema", "table", "view", "column"]
Detail = Literal["names", "summary", "full"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
DEFAULT_SEARCH_BUDGET = 4000
MIN_SEARCH_BUDGET = 300
MAX_SEARCH_BUDGET = 60_000


class SearchSchemaInput(BaseModel):
    """Arguments of ``search_schema``; the field descriptions are shown to the LLM."""

    connection: str | None = Field(
        None, description="Name of a configured connection (see list_connections). Empty = the default connection."
    )
    kinds: list[Kind] | None = Field(
        None,
        description="Object kinds to list: schema, table, view, column. Empty = tables and views.",
    )
    pattern: str | None = Field(
        None,
        description=(
            "Case-insensitive name filter: a glob ('ped*', '*_id', 'vendas.*') or plain text matched anywhere in "
            "the name. Columns match on 'column' or 'table.column'."
        ),
    )
    question: str | None = Field(
        None,
        description="The user's question (any language): the most relevant objects come first; unrelated ones are "
        "left out when at least one matches.",
    )
    schema_: str | None = Field(
        None, alias="schema", description="PostgreSQL schema or MySQL database. Empty = the connection's default."
    )
    detail: Detail = Field(
        "names",
        description=(
            "names = just the names (cheapest); summary = tables with row count and column names, columns with "
            "type; full = tables as compact DDL (columns, keys, sample values)."
        ),
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Maximum objects in this page.")
    offset: int = Field(0, ge=0, description="Objects to skip (use `next_offset` of the previous page).")
    budget: int = Field(
        DEFAULT_SEARCH_BUDGET,
        ge=MIN_SEARCH_BUDGET,
        le=MAX_SEARCH_BUDGET,
        description="Maximum characters of the answer text; the page ends early when it would not fit.",
    )
    refresh: bool = Field(False, description="true = ignore the cache and read the schema from the database again.")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}

    @property
    def schema(self) -> str | None:  # type: ignore[override]  # a field named like BaseModel's deprecated schema() classmethod
        return self.schema_


class SchemaObject(BaseModel):
    kind: Kind
    name: str
    schema_: str | None = Field(None, alias="schema")
    table: str | None = Field(None, description="For a column: its table (or view).")
    type: str | None = Field(None, description="For a column (summary/full): its database type.")
    row_count: int | None = Field(None, description="For a table (summary/full): approximate number of rows.")
    columns: list[str] | None = Field(None, description="For a table (summary): its column names.")
    ddl: str | None = Field(None, description="detail=full: compact DDL-like text (tables) or details (columns).")
    comment: str | None = None

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class SchemaSearchResult(BaseModel):
    connection: str
    dialect: str
    total: int = Field(description="Objects matching the filters (all pages).")
    offset: int
    items: list[SchemaObject] = Field(description="This page, in relevance (with a question) or name order.")
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page; null = last page.")
    text: str = Field("", description="The same page as text (what a model reads).")

    def to_text(self) -> str:
        return self.text

    def to_structured(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"text"})
