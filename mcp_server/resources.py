"""MCP resources (the schema of each visible connection) and prompts, built on the same tool specs."""

from __future__ import annotations

import anyio.to_thread
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.prompts.base import UserMessage
from mcp.types import Resource
from pydantic import AnyUrl, Field

from tools.context import ToolContext
from tools.registry import get_tool

SCHEMA_URI = "schema://{connection}"
SCHEMA_MIME = "text/plain"


def visible_connections(ctx: ToolContext) -> list[tuple[str, str]]:
    """(name, dialect) of every connection this server exposes, demo first; never any URL."""
    listing = get_tool("list_connections").run(ctx)
    return [(info.name, info.dialect) for info in listing.connections]  # type: ignore[attr-defined]  # list_connections returns a ConnectionList (tools are typed as returning BaseModel)


def schema_resources(ctx: ToolContext) -> list[Resource]:
    return [
        Resource(
            uri=AnyUrl(SCHEMA_URI.format(connection=name)),
            name=f"schema-{name}",
            title=f"Esquema de {name} ({dialect})",
            description=f"Tabelas, colunas, chaves e valores de exemplo da conexão '{name}', em texto compacto.",
            mimeType=SCHEMA_MIME,
        )
        for name, dialect in visible_connections(ctx)
    ]


def add_schema_resources(server: FastMCP, ctx: ToolContext) -> None:
    """Register ``schema://{connection}``: reading it returns the compact schema text (credentials never shown)."""

    async def schema(connection: str) -> str:
        result = await anyio.to_thread.run_sync(lambda: get_tool("inspect_schema").run(ctx, connection=connection))
        return result.to_text()  # type: ignore[attr-defined]  # every tool result model defines to_text (BaseModel does not)

    server.resource(
        SCHEMA_URI,
        name="schema",
        title="Esquema de uma conexão",
        description="Esquema compacto (tabelas, colunas, chaves) da conexão indicada; use o nome da conexão.",
        mime_type=SCHEMA_MIME,
    )(schema)


def add_prompts(server: FastMCP) -> None:
    @server.prompt(
        name="perguntar_ao_banco",
        title="Perguntar ao banco de dados",
        description="Responde a uma pergunta em português consultando o banco de dados (somente leitura).",
    )
    def perguntar_ao_banco(
        question: str = Field(description="A pergunta do usuário, em português."),
        connection: str = Field("demo", description="Nome da conexão (veja list_connections)."),
    ) -> list[UserMessage]:
        return [
            UserMessage(
                f"Responda em português do Brasil à pergunta abaixo usando o banco de dados da conexão "
                f"'{connection}'.\n\n"
                f"1. Chame inspect_schema com connection='{connection}' (e question com a pergunta) para ver "
                "as tabelas e colunas relevantes; não invente nomes de tabelas ou colunas.\n"
                f"2. Escreva UMA consulta SELECT e execute com run_query (connection='{connection}'). Só "
                "consultas de leitura são aceitas; nunca tente INSERT, UPDATE, DELETE ou DDL.\n"
                "3. Se run_query devolver erro, leia a mensagem, corrija a consulta e tente de novo (no máximo "
                "3 vezes).\n"
                "4. Responda de forma curta e direta, com os números encontrados, e diga em uma frase como "
                "chegou ao resultado.\n\n"
                f"Pergunta: {question}"
            )
        ]

    @server.prompt(
        name="resumir_pdf",
        title="Resumir um PDF",
        description="Resume um PDF enviado (ou de uma pasta permitida) em português.",
    )
    def resumir_pdf(
        path: str = Field(description="Id do arquivo enviado ou caminho dentro de uma pasta permitida."),
        focus: str = Field("", description="Assunto a destacar no resumo (opcional)."),
    ) -> list[UserMessage]:
        focus_line = f" Dê atenção especial a: {focus}." if focus.strip() else ""
        return [
            UserMessage(
                f"Resuma em português do Brasil o PDF '{path}'.{focus_line}\n"
                "Use read_pdf: primeiro sem pages para ver quantas páginas há e o início; em documentos longos "
                "peça páginas específicas (pages) ou procure termos (search) em vez de ler tudo. Cite as "
                "páginas de onde tirou cada informação."
            )
        ]
