"""Benchmark schema-inspect on a generated 500-table SQLite schema: cold inspection, cached call, prompt rendering.

Run: ``.venv/bin/python bench/schema.py [--tables 500] [--rows 20]``. Goals: cold <= 3 s, cached <= 10 ms.
Wall-clock numbers depend on machine load; the CPU time of this process is printed next to them.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from tools.context import ToolContext
from tools.db.connect import dispose_engines
from tools.db.registry import ConnectionRegistry
from tools.schema_inspect import InspectSchemaInput, inspect_schema
from tools.schema_inspect.render import render

WORDS = [
    "cliente",
    "pedido",
    "produto",
    "entrega",
    "pagamento",
    "nota",
    "fiscal",
    "chamado",
    "atendente",
    "transportadora",
    "categoria",
    "fornecedor",
    "funcionario",
    "venda",
    "estoque",
    "cidade",
    "estado",
    "loja",
    "contrato",
    "plano",
    "evento",
    "tarefa",
    "projeto",
    "curso",
    "aluno",
    "consulta",
    "paciente",
    "medico",
    "veiculo",
    "imovel",
    "campanha",
    "cupom",
    "desconto",
    "avaliacao",
    "endereco",
    "conta",
    "saldo",
]
STATUS = ("ativo", "inativo", "pendente", "cancelado", "entregue", "atrasado")
UFS = ("SP", "RJ", "MG", "BA", "PR", "RS", "SC", "PE")


def build(path: Path, n_tables: int, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    names = [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i:03d}" for i in range(n_tables)]
    with sqlite3.connect(path) as db:
        for i, name in enumerate(names):
            refs = rng.sample(names[:i], k=min(i, rng.randint(0, 3)))
            columns = ["id INTEGER PRIMARY KEY", "nome TEXT NOT NULL", "status TEXT", "uf TEXT", "valor NUMERIC(12,2)"]
            columns += ["criado_em DATE", f"obs_{i} TEXT"]
            columns += [f"{ref}_id INTEGER REFERENCES {ref}(id)" for ref in refs]
            db.execute(f"CREATE TABLE {name} ({', '.join(columns)})")
            db.execute(f"CREATE INDEX ix_{name}_status ON {name} (status)")
            db.executemany(
                f"INSERT INTO {name} (nome, status, uf, valor) VALUES (?, ?, ?, ?)",
                [(f"item {r}", rng.choice(STATUS), rng.choice(UFS), r * 1.5) for r in range(rows)],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--rows", type=int, default=20, help="rows per table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.sqlite"
        start = time.perf_counter()
        build(path, args.tables, args.rows)
        print(f"generated {args.tables} tables x {args.rows} rows in {time.perf_counter() - start:.2f} s")
        registry = ConnectionRegistry(Path(tmp) / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
        ctx = ToolContext(registry=registry)
        params = InspectSchemaInput(connection=f"sqlite:///{path}")
        try:
            start, cpu_start = time.perf_counter(), time.process_time()
            result = inspect_schema(params, ctx)
            cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu_start
            cached = []
            for _ in range(200):
                start = time.perf_counter()
                inspect_schema(params, ctx)
                cached.append(time.perf_counter() - start)
            question = "quantos pedidos atrasados por transportadora em SP?"
            renders, renders_cpu = [], []
            for _ in range(5):
                start, cpu_start = time.perf_counter(), time.process_time()
                text, omitted = render(result.tables, question, 6000, result.dialect)
                renders.append(time.perf_counter() - start)
                renders_cpu.append(time.process_time() - cpu_start)
            start = time.perf_counter()
            inspect_schema(params.model_copy(update={"question": question}), ctx)
            cached_question = time.perf_counter() - start
        finally:
            dispose_engines(ctx)
    sampled = sum(1 for t in result.tables for c in t.columns if c.samples)
    print(f"tables inspected:            {len(result.tables)} (columns with samples: {sampled})")
    print(f"cold inspect_schema:         {cold * 1000:8.1f} ms   (goal <= 3000 ms; CPU {cold_cpu * 1000:.0f} ms)")
    print(f"cached inspect_schema:       {statistics.median(cached) * 1000:8.3f} ms   (median of 200; goal <= 10 ms)")
    render_ms, render_cpu_ms = statistics.median(renders) * 1000, statistics.median(renders_cpu) * 1000
    print(f"render 6000-char prompt:     {render_ms:8.1f} ms   (median of 5; CPU {render_cpu_ms:.0f} ms)")
    print(f"cached call + question:      {cached_question * 1000:8.1f} ms")
    print(f"prompt: {len(text)} chars, {len(result.tables) - len(omitted)} tables kept, {len(omitted)} listed by name")


if __name__ == "__main__":
    main()
