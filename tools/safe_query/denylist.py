"""The function deny-list: one data table of functions a read-only query must never call.

Each entry is ``(pattern, dialects, reason)``. ``pattern`` is a case-insensitive glob matched against the
function's bare name (``pg_sleep``) *and* its qualified name (``pg_catalog.pg_sleep``, ``utl_http.request``);
quoted identifiers (``"pg_sleep"``) and functions sqlglot does not know (``Anonymous``) are matched the same way.
``dialects`` lists the sqlglot dialects the entry applies to (``ALL`` = every dialect).

Size-limited functions (``randomblob``/``zeroblob``) are allowed only with an integer literal argument of at most
``BLOB_LITERAL_MAX`` bytes: anything larger or computed could allocate gigabytes, so it is denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

ALL = ("sqlite", "postgres", "mysql", "oracle", "tsql")
PG = ("postgres",)
MY = ("mysql",)
LITE = ("sqlite",)
ORA = ("oracle",)
MS = ("tsql",)

BLOB_LITERAL_MAX = 1_000_000


@dataclass(frozen=True)
class DeniedFunction:
    pattern: str
    dialects: tuple[str, ...]
    reason: str


def _e(pattern: str, dialects: tuple[str, ...], reason: str) -> DeniedFunction:
    return DeniedFunction(pattern, dialects, reason)


# fmt: off
DENYLIST: tuple[DeniedFunction, ...] = (
    # --- PostgreSQL: server files, large objects, other databases, settings, sequences, sleeps, admin ---
    _e("pg_read_file", PG, "lê arquivos do servidor"),
    _e("pg_read_binary_file", PG, "lê arquivos do servidor"),
    _e("pg_ls_*", PG, "lista diretórios do servidor"),
    _e("pg_stat_file", PG, "inspeciona arquivos do servidor"),
    _e("pg_file_*", PG, "escreve/renomeia arquivos do servidor (adminpack)"),
    _e("lo_*", PG, "large objects: importa/exporta arquivos do servidor"),
    _e("dblink*", PG, "executa SQL em outro banco"),
    _e("set_config", PG, "altera configurações da sessão"),
    _e("nextval", PG, "avança uma sequência (escrita)"),
    _e("setval", PG, "altera uma sequência (escrita)"),
    _e("pg_sleep*", PG, "bloqueia a conexão (negação de serviço)"),
    _e("pg_terminate_backend", PG, "encerra conexões de outros usuários"),
    _e("pg_cancel_backend", PG, "cancela consultas de outros usuários"),
    _e("pg_reload_conf", PG, "recarrega a configuração do servidor"),
    _e("pg_rotate_logfile", PG, "administra o servidor"),
    _e("pg_switch_wal", PG, "administra o servidor"),
    _e("pg_promote", PG, "administra o servidor"),
    _e("pg_create_*", PG, "cria slots/pontos de restauração"),
    _e("pg_drop_replication_slot", PG, "administra replicação"),
    _e("pg_logical_*", PG, "administra replicação"),
    _e("pg_replication_*", PG, "administra replicação"),
    _e("pg_advisory*", PG, "obtém travas (locks)"),
    _e("pg_try_advisory*", PG, "obtém travas (locks)"),
    _e("pg_notify", PG, "envia notificações (efeito colateral)"),
    _e("pg_export_snapshot", PG, "administra transações"),
    _e("pg_stat_reset*", PG, "apaga estatísticas do servidor"),
    _e("pg_*backup*", PG, "controla backups do servidor"),
    _e("pg_signal_backend", PG, "envia sinais a outras conexões"),
    _e("pg_log_backend_memory_contexts", PG, "escreve no log do servidor"),
    _e("pg_import_system_collations", PG, "cria collations (escrita)"),
    _e("copy_*", PG, "copia dados para/de arquivos"),
    _e("query_to_xml*", PG, "executa SQL passado como texto"),
    _e("cursor_to_xml*", PG, "executa SQL passado como texto"),
    _e("table_to_xml*", PG, "exporta tabelas inteiras"),
    _e("schema_to_xml*", PG, "exporta esquemas inteiros"),
    _e("database_to_xml*", PG, "exporta o banco inteiro"),
    # --- MySQL / MariaDB ---
    _e("load_file", MY, "lê arquivos do servidor"),
    _e("sleep", MY, "bloqueia a conexão (negação de serviço)"),
    _e("benchmark", MY, "consome CPU de propósito (negação de serviço)"),
    _e("get_lock", MY, "obtém travas (locks)"),
    _e("release_lock", MY, "libera travas (locks)"),
    _e("release_all_locks", MY, "libera travas (locks)"),
    _e("master_pos_wait", MY, "bloqueia esperando replicação"),
    _e("source_pos_wait", MY, "bloqueia esperando replicação"),
    _e("master_gtid_wait", MY, "bloqueia esperando replicação"),
    _e("wait_for_executed_gtid_set", MY, "bloqueia esperando replicação"),
    _e("sys_exec", MY, "executa comandos do sistema operacional (UDF)"),
    _e("sys_eval", MY, "executa comandos do sistema operacional (UDF)"),
    _e("setval", MY, "altera uma sequência (MariaDB)"),
    _e("nextval", MY, "avança uma sequência (MariaDB)"),
    _e("lastval", MY, "lê o estado de uma sequência da sessão (MariaDB)"),
    # --- SQLite ---
    _e("readfile", LITE, "lê arquivos (shell/fileio)"),
    _e("writefile", LITE, "escreve arquivos (shell/fileio)"),
    _e("edit", LITE, "abre um editor (shell)"),
    _e("load_extension", LITE, "carrega código nativo"),
    _e("fts3_tokenizer", LITE, "pode registrar ponteiros de função (inseguro)"),
    _e("randomblob", LITE, "blob grande demais (memória)"),
    _e("zeroblob", LITE, "blob grande demais (memória)"),
    # --- SQL Server ---
    _e("xp_*", MS, "procedimentos estendidos (comandos do sistema)"),
    _e("sp_*", MS, "procedimentos do sistema"),
    _e("sys.xp_*", MS, "procedimentos estendidos (comandos do sistema)"),
    _e("sys.sp_*", MS, "procedimentos do sistema"),
    _e("sys.fn_*", MS, "funções do sistema (leem arquivos/logs)"),
    _e("openrowset", MS, "acessa fontes de dados externas"),
    _e("opendatasource", MS, "acessa fontes de dados externas"),
    _e("openquery", MS, "executa SQL em servidor vinculado"),
    _e("next_value_for", MS + PG + ORA, "avança uma sequência (escrita)"),
    # --- Oracle ---
    _e("utl_file.*", ORA, "lê/escreve arquivos do servidor"),
    _e("utl_http.*", ORA, "faz requisições de rede"),
    _e("utl_tcp.*", ORA, "faz requisições de rede"),
    _e("utl_smtp.*", ORA, "envia e-mails"),
    _e("utl_inaddr.*", ORA, "faz consultas de rede"),
    _e("httpuritype*", ORA, "faz requisições de rede"),
    _e("dbms_*", ORA, "pacotes DBMS_* (execução dinâmica, travas, espera, rede)"),
    _e("sys.*", ORA, "procedimentos do esquema SYS"),
    _e("*.nextval", ORA, "avança uma sequência (escrita)"),
)
# fmt: on

SIZE_LIMITED = frozenset({"randomblob", "zeroblob"})


def find_denied(names: tuple[str, ...], dialect: str) -> DeniedFunction | None:
    """The first deny-list entry matching any of ``names`` (already lower-cased) in ``dialect``, or None."""
    for entry in DENYLIST:
        if dialect not in entry.dialects:
            continue
        if any(fnmatchcase(name, entry.pattern) for name in names):
            return entry
    return None
