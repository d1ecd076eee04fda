"""The demo database schema: one SQLAlchemy ``MetaData`` shared by the SQLite, PostgreSQL and MariaDB loads.

Money is ``NUMERIC``; dates are ``DATE``/``TIMESTAMP`` on PostgreSQL and MariaDB and ISO text on SQLite
(``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS``). Comments are emitted where the dialect supports them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.dialects import sqlite

# ISO text without microseconds on SQLite, so the shipped file reads naturally ("2025-03-04 14:05:00").
_SQLITE_DATETIME = sqlite.DATETIME(
    storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d",
    regexp=r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)",
)
TIMESTAMP = DateTime().with_variant(_SQLITE_DATETIME, "sqlite")


def money(precision: int = 10) -> Numeric:
    return Numeric(precision, 2)


metadata = MetaData()

clientes = Table(
    "clientes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("nome", String(120), nullable=False, comment="Nome completo do cliente"),
    Column("cpf", String(14), nullable=False, unique=True, comment="CPF no formato 000.000.000-00 (fictício)"),
    Column("email", String(160), nullable=False),
    Column("telefone", String(20), nullable=False, comment="Telefone com DDD, ex.: (11) 91234-5678"),
    Column("cidade", String(80), nullable=False),
    Column("uf", String(2), nullable=False, comment="Sigla do estado (UF), ex.: SP"),
    Column("data_cadastro", Date, nullable=False, comment="Data em que o cliente se cadastrou"),
    Column("segmento", String(20), nullable=False, comment="varejo, premium ou empresa"),
    comment="Clientes da loja",
)

categorias = Table(
    "categorias",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("nome", String(80), nullable=False),
    Column(
        "categoria_pai_id",
        Integer,
        ForeignKey("categorias.id"),
        nullable=True,
        comment="Categoria-mãe; NULL para categorias de primeiro nível",
    ),
    comment="Árvore de categorias de produtos",
)

produtos = Table(
    "produtos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("nome", String(160), nullable=False),
    Column("sku", String(20), nullable=False, unique=True),
    Column("categoria_id", Integer, ForeignKey("categorias.id"), nullable=False),
    Column("preco", money(), nullable=False, comment="Preço de venda em R$"),
    Column("custo", money(), nullable=False, comment="Custo unitário em R$"),
    Column("estoque", Integer, nullable=False, comment="Unidades em estoque"),
    Column("ativo", Boolean, nullable=False, comment="Produto à venda"),
    comment="Catálogo de produtos",
)

pedidos = Table(
    "pedidos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cliente_id", Integer, ForeignKey("clientes.id"), nullable=False),
    Column("data_pedido", TIMESTAMP, nullable=False),
    Column(
        "status",
        String(20),
        nullable=False,
        comment="pendente, pago, enviado, entregue, cancelado ou devolvido",
    ),
    Column("canal", String(20), nullable=False, comment="site, app, marketplace ou telefone"),
    Column("valor_total", money(12), nullable=False, comment="Soma dos itens menos descontos, em R$"),
    Column("cidade_entrega", String(80), nullable=False),
    Column("uf_entrega", String(2), nullable=False),
    comment="Pedidos de venda",
)

itens_pedido = Table(
    "itens_pedido",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pedido_id", Integer, ForeignKey("pedidos.id"), nullable=False),
    Column("produto_id", Integer, ForeignKey("produtos.id"), nullable=False),
    Column("quantidade", Integer, nullable=False),
    Column("preco_unitario", money(), nullable=False, comment="Preço cobrado por unidade, em R$"),
    Column("desconto", money(), nullable=False, comment="Desconto total da linha, em R$"),
    comment="Itens de cada pedido",
)

transportadoras = Table(
    "transportadoras",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("nome", String(80), nullable=False),
    Column("cnpj", String(18), nullable=False, unique=True, comment="CNPJ no formato 00.000.000/0000-00 (fictício)"),
    comment="Transportadoras que fazem as entregas",
)

entregas = Table(
    "entregas",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pedido_id", Integer, ForeignKey("pedidos.id"), nullable=False),
    Column("transportadora_id", Integer, ForeignKey("transportadoras.id"), nullable=False),
    Column("status", String(20), nullable=False, comment="em_transito, entregue, atrasada, extraviada ou devolvida"),
    Column("data_envio", Date, nullable=False),
    Column("data_prevista", Date, nullable=False, comment="Data prometida ao cliente"),
    Column("data_entrega", Date, nullable=True, comment="NULL enquanto não entregue"),
    Column("dias_atraso", Integer, nullable=False, comment="Dias além da data prevista (0 se no prazo)"),
    comment="Entregas dos pedidos enviados",
)

pagamentos = Table(
    "pagamentos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pedido_id", Integer, ForeignKey("pedidos.id"), nullable=False),
    Column("forma_pagamento", String(20), nullable=False, comment="pix, cartao_credito, boleto ou cartao_debito"),
    Column("status", String(20), nullable=False, comment="aprovado, recusado, estornado ou pendente"),
    Column("valor", money(12), nullable=False),
    Column("parcelas", SmallInteger, nullable=False),
    Column("data_pagamento", TIMESTAMP, nullable=False),
    comment="Tentativas de pagamento dos pedidos",
)

notas_fiscais = Table(
    "notas_fiscais",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pedido_id", Integer, ForeignKey("pedidos.id"), nullable=False),
    Column("numero", Integer, nullable=False),
    Column("serie", String(3), nullable=False),
    Column("data_emissao", Date, nullable=False),
    Column("valor_total", money(12), nullable=False),
    comment="Notas fiscais emitidas",
)

atendentes = Table(
    "atendentes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("nome", String(120), nullable=False),
    Column("equipe", String(40), nullable=False),
    comment="Atendentes do suporte",
)

chamados = Table(
    "chamados",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cliente_id", Integer, ForeignKey("clientes.id"), nullable=False),
    Column("pedido_id", Integer, ForeignKey("pedidos.id"), nullable=True),
    Column("atendente_id", Integer, ForeignKey("atendentes.id"), nullable=False),
    Column("assunto", String(200), nullable=False, comment="Texto livre escrito pelo cliente"),
    Column("categoria", String(20), nullable=False, comment="atraso, defeito, troca, cobranca ou duvida"),
    Column("prioridade", String(10), nullable=False, comment="baixa, media, alta ou urgente"),
    Column("status", String(20), nullable=False, comment="aberto, em_andamento, resolvido ou fechado"),
    Column("canal", String(20), nullable=False, comment="telefone, email, chat ou whatsapp"),
    Column("aberto_em", TIMESTAMP, nullable=False),
    Column("resolvido_em", TIMESTAMP, nullable=True),
    Column("nota_satisfacao", SmallInteger, nullable=True, comment="1 a 5; NULL se o cliente não avaliou"),
    comment="Chamados de atendimento ao cliente",
)

Index("ix_clientes_uf", clientes.c.uf)
Index("ix_produtos_categoria", produtos.c.categoria_id)
Index("ix_pedidos_cliente", pedidos.c.cliente_id)
Index("ix_pedidos_data", pedidos.c.data_pedido)
Index("ix_pedidos_status", pedidos.c.status)
Index("ix_itens_pedido_pedido", itens_pedido.c.pedido_id)
Index("ix_itens_pedido_produto", itens_pedido.c.produto_id)
Index("ix_entregas_pedido", entregas.c.pedido_id)
Index("ix_entregas_transportadora", entregas.c.transportadora_id)
Index("ix_pagamentos_pedido", pagamentos.c.pedido_id)
Index("ix_notas_fiscais_pedido", notas_fiscais.c.pedido_id)
Index("ix_chamados_cliente", chamados.c.cliente_id)
Index("ix_chamados_status", chamados.c.status)

# Insertion order (parents before children).
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in metadata.sorted_tables)
