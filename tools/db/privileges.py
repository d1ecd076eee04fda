"""Privilege inspection: is a connection's login more powerful than reading the target database?

Privileges are the first boundary and the validator the second: a login that may read server files, run programs,
create objects or write data turns any validator gap into a breach. ``inspect_privileges`` lists what it found
(in pt-BR, for ``vozbd db add/test``); ``readonly_user_sql`` writes the SQL of a dedicated SELECT-only login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from tools.db.pgpath import BUILTINS_FIRST_SQL

_PG_CHECKS = (
    ("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", "é superusuário (superuser)"),
    ("SELECT pg_has_role(current_user, 'pg_read_server_files', 'MEMBER')", "lê arquivos do servidor"),
    ("SELECT pg_has_role(current_user, 'pg_write_server_files', 'MEMBER')", "escreve arquivos do servidor"),
    ("SELECT pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')", "executa programas no servidor"),
    (
        "SELECT pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')",
        "encerra sessões de outros usuários (pg_signal_backend)",
    ),
    ("SELECT rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user", "cria papéis ou bancos"),
    (
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ANY (current_schemas(false)) "
        "AND has_schema_privilege(oid, 'CREATE'))",
        "pode criar objetos (CREATE) nos esquemas consultados",
    ),
    (
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE pg_has_role(current_user, c.relowner, 'USAGE') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%')",
        "é dono de tabelas/visões (pode alterá-las)",
    ),
    (
        "SELECT EXISTS (SELECT 1 FROM information_schema.role_table_grants WHERE grantee = current_user "
        "AND privilege_type <> 'SELECT' AND table_schema NOT IN ('pg_catalog', 'information_schema'))",
        "tem permissões além de SELECT em tabelas",
    ),
)
PG_SIDE_EFFECT_FUNCTIONS = ("pg_logical_emit_message", "pg_terminate_backend", "pg_cancel_backend")
"""Built-ins that PostgreSQL lets PUBLIC run and whose effect outlives the read-only transaction vozbd rolls back:
a non-transactional WAL message (fed to logical-decoding consumers), and signals to the backends of the caller's
own role (every other vozbd session shares it). The rest of PUBLIC's volatile built-ins either check a privilege
themselves (superuser, REPLICATION, ownership), are refused in a read-only transaction, die with the rollback
(``pg_notify``, ``lo_create``, transactional messages) or are reset with the session (``DISCARD ALL``: session
advisory locks, ``set_config``)."""
PG_NETWORK_EXTENSIONS = ("dblink",)
"""Extensions whose functions (PUBLIC may run them) open connections to other servers: a channel out of the
database that no read-only transaction covers (a remote write, data sent elsewhere)."""
_PG_SIDE_EFFECTS_SQL = (
    "SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text FROM pg_catalog.pg_proc p "
    "WHERE (p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace AND p.proname OPERATOR(pg_catalog.=) ANY ({names})) "
    "OR p.oid IN (SELECT d.objid FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid "
    "WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
    "AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e' "
    "AND e.extname OPERATOR(pg_catalog.=) ANY ({extensions}))"
)


def _pg_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::pg_catalog.name[]"


PG_SIDE_EFFECTS_QUERY = _PG_SIDE_EFFECTS_SQL.format(
    names=_pg_array(PG_SIDE_EFFECT_FUNCTIONS), extensions=_pg_array(PG_NETWORK_EXTENSIONS)
)
"""The functions of the class above in the current database (built-ins + members of the network extensions)."""
PG_REVOKE_SIDE_EFFECTS = (
    "DO $vozbd$ DECLARE f pg_catalog.text; BEGIN "
    f"FOR f IN {PG_SIDE_EFFECTS_QUERY} LOOP "
    "EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f); END LOOP; END $vozbd$"
)
"""Take EXECUTE on those functions away from PUBLIC, in this database only (function privileges are per database).
Every non-superuser role of the database loses them: grant them back by name to a role that needs one."""
_MYSQL_READ = frozenset({"SELECT", "SHOW VIEW", "USAGE"})
_MYSQL_GRANT = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<target>\S+) TO ", re.IGNORECASE)


@dataclass(frozen=True)
class PrivilegeReport:
    dialect: str
    user: str | None
    findings: list[str] = field(default_factory=list)
    """pt-BR sentences, one per excess privilege; empty = least privilege."""
    warnings: list[str] = field(default_factory=list)
    """pt-BR sentences: what a read-only login can still do outside its transaction, with the exact fix (the
    connection is accepted; ``vozbd db add/test`` show them)."""

    @property
    def privileged(self) -> bool:
        return bool(self.findings)

    def message(self, connection: str) -> str:
        if not self.findings:
            return f"A conexão '{connection}' usa um login só de leitura."
        return (
            f"A conexão '{connection}' usa um login com privilégios demais ({self.user or '?'}): "
            + "; ".join(self.findings)
            + ". Crie um login só de leitura com: vozbd db create-readonly-user vozbd_leitor "
            f"--dialect {self.dialect} --database NOME_DO_BANCO (imprime o SQL a executar) e cadastre a conexão com "
            "ele; ou, assumindo o risco, use --allow-privileged."
        )


def inspect_privileges(engine: Engine, dialect: str) -> PrivilegeReport:
    """What the login of ``engine`` may do beyond reading (SQLite files are always opened read-only)."""
    if dialect == "postgres":
        return _postgres(engine)
    if dialect == "mysql":
        return _mysql(engine)
    return PrivilegeReport(dialect, None)


def _postgres(engine: Engine) -> PrivilegeReport:
    findings: list[str] = []
    with engine.connect() as db:
        # built-ins first, explicitly: these checks may run as a superuser on a database whose schemas others write
        db.execute(text(BUILTINS_FIRST_SQL))
        # one round trip for every check (first use of a connection runs them; each round trip counts under load)
        checks = ", ".join(f"({sql})" for sql, _ in _PG_CHECKS)
        row = db.execute(text(f"SELECT current_user, pg_catalog.current_database(), {checks}")).one()
        user, database = row[0], row[1]
        findings += [finding for (_, finding), found in zip(_PG_CHECKS, row[2:], strict=True) if found]
        executable = [
            str(row[0])
            for row in db.execute(
                text(
                    f"SELECT f FROM ({PG_SIDE_EFFECTS_QUERY}) AS s(f) "
                    "WHERE pg_catalog.has_function_privilege(pg_catalog.current_user(), f::pg_catalog.regprocedure, "
                    "'EXECUTE')"
                )
            )
        ]
        db.rollback()
    warnings = [side_effect_warning(str(database), executable)] if executable else []
    return PrivilegeReport("postgres", str(user), findings, warnings)


def side_effect_warning(database: str, functions: list[str]) -> str:
    """pt-BR: the login can still run functions whose effect outlives its read-only transaction; the exact fix."""
    return (
        f"o login ainda pode executar funções com efeito fora da transação somente leitura ({', '.join(functions)}): "
        "encerrar ou cancelar as outras sessões do vozbd, gravar no WAL ou abrir conexões a outros servidores. "
        f"Como administrador, no banco {database}, rode o bloco DO que 'vozbd db create-readonly-user' imprime "
        "(REVOKE EXECUTE ... FROM PUBLIC; vale para todos os papéis não superusuários desse banco)"
    )


def _mysql(engine: Engine) -> PrivilegeReport:
    findings: list[str] = []
    with engine.connect() as db:
        user = db.execute(text("SELECT CURRENT_USER()")).scalar()
        database = (db.execute(text("SELECT DATABASE()")).scalar() or "").lower()
        grants = [str(row[0]) for row in db.execute(text("SHOW GRANTS"))]
        db.rollback()
    for grant in grants:
        match = _MYSQL_GRANT.match(grant)
        if match is None:
            continue
        privileges = {p.strip().upper() for p in match["privs"].split(",")}
        target = match["target"].replace("`", "").lower()
        extra = sorted(p for p in privileges if p not in _MYSQL_READ)
        if extra:
            findings.append(f"tem {', '.join(extra)} em {target}")
        elif "SELECT" in privileges and not target.startswith(f"{database}."):
            findings.append(f"lê outros bancos ({target})")
    return PrivilegeReport("mysql", str(user), findings)


def _ident(name: str, quote: str) -> str:
    return quote + name.replace(quote, quote * 2) + quote


def readonly_user_sql(
    dialect: str, user: str, database: str, schemas: tuple[str, ...] = ("public",), password: str = "TROQUE_ESTA_SENHA"
) -> list[str]:
    """The statements that create ``user`` with SELECT on ``schemas`` of ``database`` only (run as an admin)."""
    pw = password.replace("'", "''")
    if dialect == "postgres":
        role, db = _ident(user, '"'), _ident(database, '"')
        statements = [
            f"CREATE ROLE {role} LOGIN PASSWORD '{pw}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
            f"GRANT CONNECT ON DATABASE {db} TO {role}",
            f"ALTER ROLE {role} SET default_transaction_read_only = on",
            # database-wide, not per role: PostgreSQL has no per-role deny, and PUBLIC holds these grants
            PG_REVOKE_SIDE_EFFECTS,
        ]
        for schema in schemas:
            name = _ident(schema, '"')
            statements += [
                f"REVOKE CREATE ON SCHEMA {name} FROM PUBLIC",
                f"GRANT USAGE ON SCHEMA {name} TO {role}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA {name} TO {role}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {name} GRANT SELECT ON TABLES TO {role}",
            ]
        return statements
    if dialect == "mysql":
        account = _ident(user, "'") + "@'%'"
        return [
            f"CREATE USER {account} IDENTIFIED BY '{pw}'",
            f"GRANT SELECT, SHOW VIEW ON {_ident(database, '`')}.* TO {account}",
        ]
    raise ValueError(f"no read-only user recipe for {dialect}")
