"""A generated wide schema (default 200 tables) of a Brazilian ERP, for the MCP size benchmark and its tests.

Deterministic (seeded): each table has 6-14 columns (ids, names, status/uf text columns with a few distinct
values, money, dates), 0-3 foreign keys to earlier tables, a comment on some, and a few rows so sample values
exist. One table is the needle of the one-table lookup: ``notas_fiscais_devolucao``.
"""

from __future__ import annotations

import random

from sqlalchemy import Engine, text

AREAS = (
    "cliente", "pedido", "produto", "estoque", "fornecedor", "compra", "venda", "entrega", "frete", "pagamento",
    "cobranca", "contrato", "funcionario", "folha", "ponto", "beneficio", "filial", "deposito", "veiculo", "rota",
    "campanha", "cupom", "chamado", "garantia", "lote", "ativo", "orcamento", "centro_custo", "imposto", "caixa",
)  # fmt: skip
FACETS = (
    "historico", "item", "log", "status", "config", "anexo", "categoria", "regra", "evento", "resumo", "parcela",
    "ajuste", "aprovacao", "saldo", "movimento", "tabela_preco", "meta", "indicador", "auditoria", "endereco",
)  # fmt: skip
STATUS = ("ativo", "inativo", "pendente", "cancelado", "aprovado")
UFS = ("SP", "RJ", "MG", "BA", "PR", "RS")
NEEDLE = "notas_fiscais_devolucao"
"""The table the one-table lookup looks for (``search_schema(question="notas fiscais de devolução")``)."""


def table_names(count: int, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    pairs = [f"{a}_{f}" for a in AREAS for f in FACETS]
    rng.shuffle(pairs)
    names = pairs[: count - 1]
    names.insert(count // 2, NEEDLE)
    return names


def create_wide_schema(engine: Engine, count: int = 200, rows: int = 3, seed: int = 14) -> list[str]:
    """Create ``count`` tables (PostgreSQL or any SQLAlchemy dialect with FKs) and return their names."""
    rng = random.Random(seed)
    names = table_names(count, seed)
    with engine.begin() as db:
        for i, name in enumerate(names):
            refs = rng.sample(names[:i], k=min(i, rng.randint(0, 3)))
            extra = [f"campo_{j} VARCHAR(40)" for j in range(rng.randint(0, 6))]
            columns = [
                "id INTEGER PRIMARY KEY",
                "nome VARCHAR(80) NOT NULL",
                "status VARCHAR(20)",
                "uf CHAR(2)",
                "valor NUMERIC(12, 2)",
                "criado_em DATE",
                *extra,
                *(f"{ref}_id INTEGER REFERENCES {ref}(id)" for ref in refs),
            ]
            db.execute(text(f"CREATE TABLE {name} ({', '.join(columns)})"))
            commented = name == NEEDLE or rng.random() < 0.3
            if commented and engine.dialect.name == "postgresql":
                label = "Notas fiscais de devolução emitidas" if name == NEEDLE else f"Cadastro de {name}"
                db.execute(text(f"COMMENT ON TABLE {name} IS '{label}'"))
            db.execute(
                text(f"INSERT INTO {name} (id, nome, status, uf, valor) VALUES (:id, :nome, :status, :uf, :valor)"),
                [
                    {"id": r + 1, "nome": f"{name} {r}", "status": rng.choice(STATUS), "uf": rng.choice(UFS),
                     "valor": r * 10.5}
                    for r in range(rows)
                ],
            )  # fmt: skip
    return names
