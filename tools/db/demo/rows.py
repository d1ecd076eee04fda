"""Deterministic row generation for the demo database: ``build_rows(seed)`` -> rows per table.

Only a seeded ``random.Random`` is used, so the same seed always yields the same data in every dialect.
"""

from __future__ import annotations

import bisect
import random
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tools.db.demo import DEMO_REFERENCE_DATE, DEMO_SEED, DEMO_START_DATE, INJECTION_TICKET_ID
from tools.db.demo import names as n

Row = dict[str, Any]
CENT = Decimal("0.01")

N_CLIENTES = 600
N_PEDIDOS = 1800
N_CHAMADOS = 550
N_ATENDENTES = 18


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def _cpf(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(9)]
    for size in (9, 10):
        total = sum(d * (size + 1 - i) for i, d in enumerate(digits[:size]))
        digits.append((total * 10 % 11) % 10)
    s = "".join(map(str, digits))
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"


def _at(day: date, rng: random.Random, hours: tuple[int, int] = (7, 23)) -> datetime:
    return datetime.combine(day, time(rng.randint(*hours), rng.randint(0, 59), rng.randint(0, 59)))


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ref = DEMO_REFERENCE_DATE
        self.rows: dict[str, list[Row]] = {}

    # --- reference data ---------------------------------------------------------------
    def clientes(self) -> None:
        rng, span = self.rng, (self.ref - DEMO_START_DATE).days
        ufs = {uf: w for uf, (w, _) in n.STATES.items()}
        seen: set[str] = set()
        days = sorted(int(span * rng.random() ** 1.4) for _ in range(N_CLIENTES))
        rows = []
        for i, offset in enumerate(days, start=1):
            first, last, last2 = rng.choice(n.FIRST_NAMES), rng.choice(n.LAST_NAMES), rng.choice(n.LAST_NAMES)
            nome = f"{first} {last}" if rng.random() < 0.4 else f"{first} {last} {last2}"
            cpf = _cpf(rng)
            while cpf in seen:
                cpf = _cpf(rng)
            seen.add(cpf)
            uf = _pick(rng, ufs)
            email = f"{_slug(first)}.{_slug(nome.split()[-1])}{rng.randint(1, 999)}"
            rows.append(
                {
                    "id": i,
                    "nome": nome,
                    "cpf": cpf,
                    "email": f"{email}@{rng.choice(n.EMAIL_DOMAINS)}",
                    "telefone": f"({n.DDD[uf]}) 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                    "cidade": rng.choice(n.STATES[uf][1]),
                    "uf": uf,
                    "data_cadastro": DEMO_START_DATE + timedelta(days=offset),
                    "segmento": _pick(rng, {"varejo": 70, "premium": 20, "empresa": 10}),
                }
            )
        self.rows["clientes"] = rows

    def catalogo(self) -> None:
        rng = self.rng
        categorias: list[Row] = []
        produtos: list[Row] = []
        for top, subs in n.CATALOG:
            top_id = len(categorias) + 1
            categorias.append({"id": top_id, "nome": top, "categoria_pai_id": None})
            for sub, stems in subs:
                sub_id = len(categorias) + 1
                categorias.append({"id": sub_id, "nome": sub, "categoria_pai_id": top_id})
                for stem, base in stems:
                    for variant in rng.sample(n.PRODUCT_VARIANTS, 3):
                        pid = len(produtos) + 1
                        preco = _money(int(base * rng.uniform(0.9, 1.15)) + 0.9)
                        produtos.append(
                            {
                                "id": pid,
                                "nome": f"{stem} {variant}",
                                "sku": f"{_slug(top)[:3].upper()}-{pid:05d}",
                                "categoria_id": sub_id,
                                "preco": preco,
                                "custo": _money(preco * Decimal(str(round(rng.uniform(0.45, 0.7), 2)))),
                                "estoque": 0 if rng.random() < 0.07 else rng.randint(1, 500),
                                "ativo": rng.random() < 0.92,
                            }
                        )
        self.rows["categorias"] = categorias
        self.rows["produtos"] = produtos

    def transportadoras_atendentes(self) -> None:
        self.rows["transportadoras"] = [
            {"id": i, "nome": name, "cnpj": cnpj} for i, (name, cnpj, _) in enumerate(n.CARRIERS, start=1)
        ]
        rng = self.rng
        self.rows["atendentes"] = [
            {
                "id": i,
                "nome": f"{rng.choice(n.FIRST_NAMES)} {rng.choice(n.LAST_NAMES)}",
                "equipe": n.TEAMS[(i - 1) % len(n.TEAMS)],
            }
            for i in range(1, N_ATENDENTES + 1)
        ]

    # --- orders and everything hanging from them ---------------------------------------
    def _order_day(self) -> date:
        # More orders as the shop grows, peaks in November (Black Friday) and December.
        months = []
        d = DEMO_START_DATE.replace(day=1)
        while d <= self.ref:
            months.append(d)
            d = (d + timedelta(days=32)).replace(day=1)
        weights = [
            (1 + i / 12) * (1.8 if m.month == 11 else 1.4 if m.month == 12 else 1.0) for i, m in enumerate(months)
        ]
        month = self.rng.choices(months, weights=weights)[0]
        last = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), self.ref)
        return month + timedelta(days=self.rng.randint(0, (last - month).days))

    def _status_for(self, day: date) -> str:
        age = (self.ref - day).days
        if age <= 2:
            weights = {"pendente": 35, "pago": 45, "enviado": 15, "cancelado": 5}
        elif age <= 10:
            weights = {"pendente": 5, "pago": 10, "enviado": 55, "entregue": 25, "cancelado": 5}
        else:
            weights = {"entregue": 84, "cancelado": 9, "devolvido": 5, "enviado": 2}
        return _pick(self.rng, weights)

    def pedidos(self) -> None:
        rng, clientes, produtos = self.rng, self.rows["clientes"], self.rows["produtos"]
        signup = [c["data_cadastro"] for c in clientes]
        popularity = [1 / (rank + 1) ** 0.8 for rank in range(len(produtos))]
        rng.shuffle(popularity)
        days = sorted(self._order_day() for _ in range(N_PEDIDOS))
        pedidos: list[dict[str, Any]] = []
        itens: list[dict[str, Any]] = []
        for pid, day in enumerate(days, start=1):
            eligible = max(1, bisect.bisect_right(signup, day))
            cliente = clientes[int(eligible * rng.random() ** 0.8)]
            if rng.random() < 0.9:
                cidade, uf = cliente["cidade"], cliente["uf"]
            else:
                uf = _pick(rng, {u: w for u, (w, _) in n.STATES.items()})
                cidade = rng.choice(n.STATES[uf][1])
            chosen = set()
            total = Decimal("0")
            for _ in range(rng.choices((1, 2, 3, 4), weights=(55, 28, 12, 5))[0]):
                produto = rng.choices(produtos, weights=popularity)[0]
                if produto["id"] in chosen:
                    continue
                chosen.add(produto["id"])
                qtd = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
                unit = produto["preco"] if rng.random() > 0.1 else _money(produto["preco"] * Decimal("0.9"))
                desconto = (
                    _money(unit * qtd * Decimal(str(rng.choice((5, 10, 15)))) / 100)
                    if rng.random() < 0.15
                    else _money(0)
                )
                total += unit * qtd - desconto
                itens.append(
                    {
                        "id": len(itens) + 1,
                        "pedido_id": pid,
                        "produto_id": produto["id"],
                        "quantidade": qtd,
                        "preco_unitario": unit,
                        "desconto": desconto,
                    }
                )
            pedidos.append(
                {
                    "id": pid,
                    "cliente_id": cliente["id"],
                    "data_pedido": _at(day, rng),
                    "status": self._status_for(day),
                    "canal": _pick(rng, {"site": 40, "app": 30, "marketplace": 22, "telefone": 8}),
                    "valor_total": _money(total),
                    "cidade_entrega": cidade,
                    "uf_entrega": uf,
                }
            )
        self.rows["pedidos"] = pedidos
        self.rows["itens_pedido"] = itens

    def _carrier(self, uf: str) -> int:
        if uf in n.REMOTE_UFS or uf in {"BA", "PE", "CE", "PB", "RN", "AL", "SE"}:
            weights = {"1": 30, "2": 15, "3": 5, "4": 15, "5": 10, "6": 25}
        else:
            weights = {"1": 30, "2": 20, "3": 25, "4": 15, "5": 10}
        return int(_pick(self.rng, weights))

    def pagamentos_entregas_notas(self) -> None:
        rng, ref = self.rng, self.ref
        pagamentos: list[Row] = []
        entregas: list[Row] = []
        notas: list[Row] = []

        def pay(pedido: Row, forma: str, status: str, when: datetime) -> None:
            valor = pedido["valor_total"]
            parcelas = 1
            if forma == "cartao_credito":
                parcelas = rng.choice((1, 2, 3, 4, 6, 10, 12) if valor > 500 else (1, 1, 2, 3))
            pagamentos.append(
                {
                    "id": len(pagamentos) + 1,
                    "pedido_id": pedido["id"],
                    "forma_pagamento": forma,
                    "status": status,
                    "valor": valor,
                    "parcelas": parcelas,
                    "data_pagamento": min(when, datetime.combine(ref, time(23, 59, 0))),
                }
            )

        for pedido in self.rows["pedidos"]:
            status, placed = pedido["status"], pedido["data_pedido"]
            forma = _pick(rng, {"pix": 35, "cartao_credito": 40, "boleto": 15, "cartao_debito": 10})
            paid_at = placed + (
                timedelta(days=rng.randint(1, 3)) if forma == "boleto" else timedelta(minutes=rng.randint(1, 30))
            )
            if status == "pendente":
                pay(pedido, rng.choice(("boleto", "pix")), "pendente", placed)
                continue
            if status == "cancelado":
                pay(pedido, forma, "recusado" if rng.random() < 0.6 else "estornado", paid_at)
                continue
            if rng.random() < 0.08:
                pay(pedido, "cartao_credito", "recusado", placed)
            pay(pedido, forma, "estornado" if status == "devolvido" else "aprovado", paid_at)
            if status == "pago":
                continue
            emitted = paid_at.date()
            notas.append(
                {
                    "id": len(notas) + 1,
                    "pedido_id": pedido["id"],
                    "numero": 10000 + len(notas) + 1,
                    "serie": "1",
                    "data_emissao": min(emitted, ref),
                    "valor_total": pedido["valor_total"],
                }
            )
            entregas.append(
                self._entrega(len(entregas) + 1, pedido, min(emitted + timedelta(days=rng.randint(0, 2)), ref))
            )
        self.rows["pagamentos"] = pagamentos
        self.rows["notas_fiscais"] = notas
        self.rows["entregas"] = entregas

    def _entrega(self, eid: int, pedido: Row, envio: date) -> Row:
        rng, ref, uf = self.rng, self.ref, pedido["uf_entrega"]
        carrier = self._carrier(uf)
        remote = uf in n.REMOTE_UFS
        sla = rng.randint(7, 12) if remote else rng.randint(2, 4) if uf == "SP" else rng.randint(3, 7)
        prevista = envio + timedelta(days=sla)
        late = rng.random() < n.CARRIERS[carrier - 1][2] + (0.12 if remote else 0.0)
        entrega: date | None
        if pedido["status"] in ("entregue", "devolvido"):
            entrega = (
                prevista + timedelta(days=rng.randint(1, 10)) if late else prevista - timedelta(days=rng.randint(0, 2))
            )
            entrega = max(min(entrega, ref), envio + timedelta(days=1) if envio < ref else envio)
            status = "devolvida" if pedido["status"] == "devolvido" else "entregue"
            atraso = max(0, (entrega - prevista).days)
        else:  # enviado: still on the road
            entrega = None
            if prevista >= ref:
                status, atraso = "em_transito", 0
            else:
                atraso = (ref - prevista).days
                status = "extraviada" if atraso > 30 else "atrasada"
        return {
            "id": eid,
            "pedido_id": pedido["id"],
            "transportadora_id": carrier,
            "status": status,
            "data_envio": envio,
            "data_prevista": prevista,
            "data_entrega": entrega,
            "dias_atraso": atraso,
        }

    def chamados(self) -> None:
        rng, ref = self.rng, self.ref
        pedidos = {p["id"]: p for p in self.rows["pedidos"]}
        late = [e for e in self.rows["entregas"] if e["dias_atraso"] > 0]
        delivered = [e for e in self.rows["entregas"] if e["data_entrega"] is not None]
        billed = [p["pedido_id"] for p in self.rows["pagamentos"] if p["status"] in ("recusado", "estornado")]
        team_of = {"atraso": "Logística", "defeito": "Pós-venda", "troca": "Pós-venda", "cobranca": "Financeiro"}
        rows = []
        for cid in range(1, N_CHAMADOS + 1):
            categoria = _pick(rng, {"atraso": 30, "defeito": 15, "troca": 15, "cobranca": 15, "duvida": 25})
            pedido_id: int | None
            if categoria == "atraso":
                e = rng.choice(late)
                pedido_id, start = e["pedido_id"], e["data_prevista"] + timedelta(days=1)
            elif categoria in ("defeito", "troca"):
                e = rng.choice(delivered)
                pedido_id, start = e["pedido_id"], e["data_entrega"]
            elif categoria == "cobranca":
                pedido_id = rng.choice(billed)
                start = pedidos[pedido_id]["data_pedido"].date()
            else:
                pedido_id = rng.choice(list(pedidos)) if rng.random() < 0.5 else None
                start = pedidos[pedido_id]["data_pedido"].date() if pedido_id else DEMO_START_DATE
            start = min(start, ref)
            cliente_id = pedidos[pedido_id]["cliente_id"] if pedido_id else rng.randint(1, N_CLIENTES)
            delay = rng.randint(0, 5) if pedido_id else rng.randint(0, (ref - start).days)
            aberto = _at(min(start + timedelta(days=delay), ref), rng, (8, 21))
            prioridade = _pick(
                rng,
                {"baixa": 10, "media": 30, "alta": 40, "urgente": 20}
                if categoria in ("atraso", "cobranca")
                else {"baixa": 45, "media": 40, "alta": 12, "urgente": 3},
            )
            age = (ref - aberto.date()).days
            status = (
                _pick(rng, {"aberto": 50, "em_andamento": 40, "resolvido": 10})
                if age < 7
                else _pick(rng, {"aberto": 3, "em_andamento": 5, "resolvido": 30, "fechado": 62})
            )
            resolvido = nota = None
            if status in ("resolvido", "fechado"):
                hours = (
                    rng.randint(1, 24)
                    if prioridade == "urgente"
                    else rng.randint(2, 24 * (7 if categoria != "atraso" else 12))
                )
                resolvido = min(
                    aberto + timedelta(hours=hours, minutes=rng.randint(0, 59)), datetime.combine(ref, time(23, 0))
                )
                if rng.random() < 0.7:
                    slow = hours > 72
                    base = (1, 2, 3, 4, 5)
                    weights = (25, 25, 25, 15, 10) if categoria == "atraso" or slow else (3, 7, 15, 35, 40)
                    nota = rng.choices(base, weights=weights)[0]
            equipe = team_of.get(categoria) or rng.choice(n.TEAMS)
            atendentes = [a["id"] for a in self.rows["atendentes"] if a["equipe"] == equipe]
            rows.append(
                {
                    "id": cid,
                    "cliente_id": cliente_id,
                    "pedido_id": pedido_id,
                    "atendente_id": rng.choice(atendentes),
                    "assunto": rng.choice(n.TICKET_SUBJECTS[categoria]),
                    "categoria": categoria,
                    "prioridade": prioridade,
                    "status": status,
                    "canal": _pick(rng, {"telefone": 25, "email": 20, "chat": 25, "whatsapp": 30}),
                    "aberto_em": aberto,
                    "resolvido_em": resolvido,
                    "nota_satisfacao": nota,
                }
            )
        # One ticket carries a prompt-injection attempt: it is data, never an instruction.
        rows[INJECTION_TICKET_ID - 1].update(assunto=n.INJECTION_TEXT, categoria="duvida")
        self.rows["chamados"] = rows


def build_rows(seed: int = DEMO_SEED) -> dict[str, list[Row]]:
    """All demo rows, keyed by table name, parents before children."""
    b = _Builder(seed)
    b.clientes()
    b.catalogo()
    b.transportadoras_atendentes()
    b.pedidos()
    b.pagamentos_entregas_notas()
    b.chamados()
    return b.rows
