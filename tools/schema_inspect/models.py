"""Input and output models of the ``inspect_schema`` tool."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

MIN_BUDGET = 500
MAX_BUDGET = 60_000


class InspectSchemaInput(BaseModel):
    """Arguments of ``inspect_schema``; the field descriptions are shown to the LLM."""

    connection: str | None = Field(
        None,
        description="Name of a configured connection (see list_connections). Empty = the default connection.",
    )
    tables: list[str] | None = Field(
        None,
        description=(
            "Only these tables/views (exact names, case-insensitive, or glob patterns such as 'ped*'). Empty = all."
        ),
    )
    schema_: str | None = Field(
        None,
        alias="schema",
        description="PostgreSQL schema or MySQL database to inspect. Empty = the connection's default.",
    )
    question: str | None = Field(
        None,
        description=(
            "The user's question (any language). Used to keep the most relevant tables when the schema does "
            "not fit in `budget`."
        ),
    )
    budget: int | None = Field(
        None,
        ge=MIN_BUDGET,
        le=MAX_BUDGET,
        description=(
            "Maximum characters of the schema text (default 6000). The structured result carries exactly the "
            "tables the text shows."
        ),
    )
    refresh: bool = Field(False, description="true = ignore the cache and read the schema from the database again.")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}

    @property
    def schema(self) -> str | None:  # type: ignore[override]  # a field named like BaseModel's deprecated schema() classmethod
        return self.schema_


OMITTED_PREFIX = "-- outras "
_BLOCK_KEYWORDS = ("PK (", "FK ", "FK(", "UNIQUE", "…", "--")


def _shown_columns(compact: str) -> dict[str, tuple[set[str], bool]]:
    """Per table block of the compact text: the column names it shows and whether it is a one-line outline."""
    found: dict[str, tuple[set[str], bool]] = {}
    for block in compact.split("\n\n"):
        lines = block.split("\n")
        head = lines[0]
        if not head.startswith(("TABLE ", "VIEW ")):
            continue
        name = head.split()[1].rstrip(":")
        if len(lines) == 1 and ": " in head.split("  --", 1)[0]:
            listed = head.split("  --", 1)[0].split(": ", 1)[1]
            found[name] = ({part.strip().split(" ", 1)[0] for part in listed.split(", ")}, True)
            continue
        columns = {
            line.strip().split(" ", 1)[0]
            for line in lines[1:]
            if line.startswith("  ") and not line.strip().startswith(_BLOCK_KEYWORDS)
        }
        found[name] = (columns, False)
    return found


class ColumnInfo(BaseModel):
    name: str
    type: str = Field(description="Database type as text, e.g. VARCHAR(2), INTEGER, NUMERIC(10, 2).")
    nullable: bool = True
    default: str | None = None
    comment: str | None = None
    samples: list[str] = Field(
        default_factory=list,
        description="Up to 5 distinct values of a low-cardinality text column, most frequent first (real spelling).",
    )
    more_values: bool = Field(False, description="True when the column has more distinct values than `samples`.")


class ForeignKeyInfo(BaseModel):
    name: str | None = None
    columns: list[str]
    referred_schema: str | None = None
    referred_table: str
    referred_columns: list[str]
    inferred: str | None = Field(
        None,
        description="Not declared by the database: how it was inferred ('nome', 'nome e valores' or 'valores').",
    )


class IndexInfo(BaseModel):
    name: str | None = None
    columns: list[str]
    unique: bool = False


class TableInfo(BaseModel):
    name: str
    schema_: str | None = Field(None, alias="schema", description="None = the connection's default schema / database.")
    kind: Literal["table", "view"] = "table"
    columns: list[ColumnInfo] = Field(default_factory=list)
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKeyInfo] = Field(default_factory=list)
    indexes: list[IndexInfo] = Field(default_factory=list)
    row_count: int | None = Field(None, description="Approximate number of rows (None for views or when unknown).")
    comment: str | None = None

    model_config = {"populate_by_name": True, "serialize_by_alias": True}

    @property
    def schema(self) -> str | None:  # type: ignore[override]  # a field named like BaseModel's deprecated schema() classmethod
        return self.schema_

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_}.{self.name}" if self.schema_ else self.name


class SchemaResult(BaseModel):
    connection: str = Field(description="Connection name (or masked URL) that was inspected.")
    dialect: str
    tables: list[TableInfo]
    compact: str = Field(description="Compact DDL-like text of the most relevant tables, within the prompt budget.")
    truncated_tables: list[str] = Field(
        default_factory=list, description="Tables left out of `compact` because of the character budget."
    )
    not_found: list[str] = Field(default_factory=list, description="Requested table names that do not exist.")
    omitted_count: int = Field(
        0, description="How many tables were left out of the text in all (list them with search_schema)."
    )
    _structured_memo: tuple[str, list[TableInfo], list[str], dict[str, Any]] | None = PrivateAttr(None)

    def to_text(self) -> str:
        return self.compact

    def listed_omitted(self) -> list[str]:
        """The left-out table names that the text's last line actually lists (it is cut to a share of the budget)."""
        line = next((x for x in self.compact.splitlines() if x.startswith(OMITTED_PREFIX)), "")
        if not self.truncated_tables or not line:
            return []
        listed = set(line.split(": ", 1)[-1].split(" … ", 1)[0].split(", "))
        return [name for name in self.truncated_tables if name in listed]

    def to_structured(self) -> dict[str, Any]:
        """What an MCP client gets next to the text: only the tables the text shows (same budget) and the
        left-out names the text lists (``omitted_count`` says how many in all); empty/default fields dropped.

        Computed once per result object (a cached schema or prompt is served again as the same object); the
        memo is checked against the fields it was built from, since ``model_copy`` carries it along."""
        memo = self._structured_memo
        if memo is not None and memo[0] is self.compact and memo[1] is self.tables and memo[2] is self.not_found:
            return memo[3]
        structured = self._build_structured()
        self._structured_memo = (self.compact, self.tables, self.not_found, structured)
        return structured

    def _build_structured(self) -> dict[str, Any]:
        blocks = _shown_columns(self.compact)
        tables = []
        for table in self.tables:
            shown_columns = blocks.get(table.qualified_name)
            if shown_columns is None:
                continue  # left out of the text (or listed by name only)
            names, outline = shown_columns
            columns = [c for c in table.columns if c.name in names]
            update: dict[str, Any] = {"columns": columns}
            if outline:  # a one-line outline shows names, keys and joins: no values, comments or indexes
                update["columns"] = [
                    c.model_copy(update={"samples": [], "more_values": False, "comment": None}) for c in columns
                ]
                update |= {"indexes": [], "comment": None}
            tables.append(table.model_copy(update=update))
        shown = self.model_copy(update={"tables": tables, "truncated_tables": self.listed_omitted()})
        return shown.model_dump(mode="json", by_alias=True, exclude_defaults=True)
