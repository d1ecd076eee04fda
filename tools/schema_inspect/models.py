"""Input and output models of the ``inspect_schema`` tool."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class InspectSchemaInput(BaseModel):
    """Arguments of ``inspect_schema``; the field descriptions are shown to the LLM."""

    connection: str | None = Field(
        None,
        description="Nome de uma conexão salva ou URL SQLAlchemy. Vazio = conexão padrão (banco de demonstração).",
    )
    tables: list[str] | None = Field(
        None,
        description=(
            "Só estas tabelas/views (nomes exatos, sem diferenciar maiúsculas, ou padrões glob como 'ped*'). "
            "Vazio = todas."
        ),
    )
    schema_: str | None = Field(
        None,
        alias="schema",
        description="Schema do PostgreSQL ou database do MySQL a inspecionar. Vazio = o padrão da conexão.",
    )
    question: str | None = Field(
        None,
        description=(
            "A pergunta do usuário, em português. Usada para escolher as tabelas mais relevantes "
            "quando o esquema é grande demais para o texto compacto."
        ),
    )
    refresh: bool = Field(False, description="true = ignora o cache e lê o esquema de novo do banco.")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}

    @property
    def schema(self) -> str | None:  # type: ignore[override]
        return self.schema_


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
    def schema(self) -> str | None:  # type: ignore[override]
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

    def to_text(self) -> str:
        return self.compact
