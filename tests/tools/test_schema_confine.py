"""inspect_schema, search_schema and explain_query read only the connection's schemas (PostgreSQL) or database
(MariaDB), like run_query: names, comments and sample values of a schema outside them are not shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tools.context import ToolContext
from tools.db.connect import resolve_connection
from tools.errors import InvalidInputError, UnsafeQueryError
from tools.policy import ConnectionPolicy
from tools.safe_query.explain import ExplainQueryInput, explain_query
from tools.schema_inspect import InspectSchemaInput, inspect_schema
from tools.schema_inspect.search import search_schema
from tools.schema_inspect.search_models import SearchSchemaInput


@pytest.fixture
def with_vault(fresh_pg_url: str) -> Iterator[str]:
    engine = create_engine(fresh_pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as db:
        for statement in (
            "CREATE TABLE public.pedidos (id int PRIMARY KEY, status text)",
            "INSERT INTO public.pedidos VALUES (1, 'entregue'), (2, 'atrasado')",
            "CREATE SCHEMA cofre",
            "CREATE TABLE cofre.senhas (usuario text, segredo text)",
            "COMMENT ON TABLE cofre.senhas IS 'senhas dos clientes'",
            "INSERT INTO cofre.senhas VALUES ('ana', 'SEGREDO-1'), ('bia', 'SEGREDO-1')",
        ):
            db.execute(text(statement))
    engine.dispose()
    yield fresh_pg_url


def test_a_schema_outside_the_connection_is_refused_everywhere(tool_ctx: ToolContext, with_vault: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        inspect_schema(InspectSchemaInput(connection=with_vault, schema="cofre"), tool_ctx)
    assert caught.value.detail["code"] == "schema_not_allowed" and "(public)" in caught.value.message
    with pytest.raises(InvalidInputError):
        search_schema(SearchSchemaInput(connection=with_vault, schema="cofre", kinds=["table", "column"]), tool_ctx)
    listed = search_schema(SearchSchemaInput(connection=with_vault, kinds=["schema", "table"]), tool_ctx)
    assert "cofre" not in listed.text and "senhas" not in listed.text and "public" in listed.text
    shown = inspect_schema(InspectSchemaInput(connection=with_vault), tool_ctx)
    assert {t.name for t in shown.tables} == {"pedidos"} and "SEGREDO" not in shown.compact
    with pytest.raises(UnsafeQueryError) as explained:
        explain_query(ExplainQueryInput(connection=with_vault, sql="SELECT * FROM cofre.senhas"), tool_ctx)
    assert explained.value.detail["code"] == "schema_not_allowed"


def test_the_policy_schemas_decide_what_is_shown(tool_ctx: ToolContext, with_vault: str) -> None:
    name = resolve_connection(tool_ctx, with_vault).name
    tool_ctx.policies = {name: ConnectionPolicy(schemas=["cofre"])}
    shown = inspect_schema(InspectSchemaInput(connection=with_vault), tool_ctx)  # the policy's schema, not public
    assert {t.name for t in shown.tables} == {"senhas"}
    with pytest.raises(InvalidInputError):
        inspect_schema(InspectSchemaInput(connection=with_vault, schema="public"), tool_ctx)
    listed = search_schema(SearchSchemaInput(connection=with_vault, kinds=["schema"]), tool_ctx)
    assert [item.name for item in listed.items] == ["cofre"]
