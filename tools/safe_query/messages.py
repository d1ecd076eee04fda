"""pt-BR rejection messages, written for the end user and for an LLM that must rewrite its SQL."""

from __future__ import annotations

import re
from typing import Any

_DIALECT_NAMES = {
    "sqlite": "SQLite",
    "postgres": "PostgreSQL",
    "mysql": "MySQL/MariaDB",
    "oracle": "Oracle",
    "tsql": "SQL Server",
}
_ONLY_READ = "apenas leitura (SELECT) é permitida."

_TEMPLATES: dict[str, str] = {
    "multiple_statements": (
        "A consulta contém mais de um comando SQL (separados por ';'). "
        "Envie apenas UMA consulta SELECT, sem ';' no meio."
    ),
    "parse_error": (
        "Não foi possível interpretar a consulta como SQL válido de {dialect_name}: {error}. "
        "Corrija a sintaxe e envie uma única consulta SELECT."
    ),
    "versioned_comment": (
        "A consulta contém um comentário executável do MySQL (/*! ... */), que não é permitido. Remova-o."
    ),
    "write_statement": "A consulta contém {keyword}, que altera o banco; " + _ONLY_READ,
    "write_in_cte": "A consulta contém {keyword} dentro de uma CTE; " + _ONLY_READ,
    "transaction_control": (
        "A consulta contém controle de transação ({keyword}); envie apenas uma consulta de leitura (SELECT)."
    ),
    "command": (
        "O comando {keyword} não é permitido. Use apenas consultas de leitura: SELECT, WITH ... SELECT, "
        "EXPLAIN (sem ANALYZE), SHOW ou DESCRIBE."
    ),
    "select_into": (
        "SELECT ... INTO grava dados (em tabela, arquivo ou variável) e não é permitido. "
        "Remova o INTO e apenas selecione os dados."
    ),
    "locking_clause": (
        "Cláusulas de trava (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) não são permitidas; "
        "remova-as, a consulta não precisa travar linhas."
    ),
    "denied_function": "A função {function} não é permitida ({reason}). Reescreva a consulta sem ela.",
    "catalog_not_allowed": (
        "A tabela {table} pertence a um catálogo do sistema ou a outro banco de dados e não pode ser consultada. "
        "Consulte apenas as tabelas do banco conectado (use inspect_schema para vê-las)."
    ),
    "schema_not_allowed": (
        "A tabela {table} está no esquema {schema}, fora dos esquemas desta conexão ({allowed}). Consulte apenas "
        "tabelas desses esquemas (use inspect_schema para vê-las); quem administra o vozbd pode liberar outros "
        "esquemas na política da conexão (schemas)."
    ),
    "node_not_allowed": (
        "A consulta usa uma construção SQL fora da lista permitida ({keyword}). Reescreva-a como um SELECT simples "
        "(junções, filtros, agregações, CTEs e funções de janela são permitidos)."
    ),
    "regexp_flags": (
        "As opções {flags} de REGEXP_LIKE não são aceitas: use um texto literal só com as letras c, i, m, n e u "
        "(por exemplo 'i' para ignorar maiúsculas e minúsculas) ou remova o terceiro argumento."
    ),
    "explain_analyze": "EXPLAIN ANALYZE executa a consulta de verdade e não é permitido. Use EXPLAIN sem ANALYZE.",
    "empty": "A consulta SQL está vazia. Envie uma consulta SELECT.",
    "too_complex": (
        "A consulta é complexa demais para ser conferida (mais de {limit} elementos, ou parênteses, CASEs e "
        "subconsultas aninhados fundo demais). Simplifique-a: menos níveis de aninhamento, ou uma tabela/CTE em "
        "vez de uma lista enorme de valores."
    ),
}


def rejection(code: str, dialect: str, detail: dict[str, Any]) -> str:
    """The pt-BR sentence for a rejection ``code``; unknown codes get a generic read-only message."""
    template = _TEMPLATES.get(code, "A consulta foi recusada; " + _ONLY_READ)
    values = {
        "keyword": "um comando de escrita",
        "table": "?",
        "error": "sintaxe inválida",
        "function": "?",
        "reason": "insegura",
    }
    values |= {key: str(value) for key, value in detail.items()}
    values["dialect_name"] = _DIALECT_NAMES.get(dialect, dialect)
    return template.format(**values)


def plain(message: str) -> str:
    """sqlglot error text without ANSI underline codes, on one line."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", message).split())
