"""Red-team targets: per dialect, a superuser URL and a read-only-role URL on a demo copy of our own, plus traps.

Each target is a private copy of the demo database with:
- ``rt_canario`` (one row) that write attacks aim at; it must stay ``(1, 'intacto')``;
- a secret the read-only role may not read (PostgreSQL schema ``cofre``, a second MariaDB database, a second
  SQLite file) holding ``SECRET`` — it must never appear in a result;
- a function + view created by a low-privilege role that call a privileged function (PostgreSQL ``relatorios``,
  MariaDB ``SQL SECURITY INVOKER``), a view of that view (``v_de_visao``) and a harmless view (``v_clientes_legit``):
  on a privileged connection vozbd validates every view's definition (``tools.safe_query.views``);
- PostgreSQL: ``standard_conforming_strings = off`` set server-side (``ALTER DATABASE``), a hostile default that
  the pinned session must override.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import URL, Engine, create_engine, make_url, text

from tests.conftest import demo_database, drop_database
from tools.db.demo import demo_db_path
from tools.db.privileges import readonly_user_sql

PASSWORD = "rt-Senha-9f3"  # the read-only role's password; must never appear in any output either


@dataclass
class Target:
    dialect: str
    admin_url: str
    readonly_url: str
    values: dict[str, str] = field(default_factory=dict)
    """Placeholder values for the corpus SQL (``{{name}}``)."""
    secrets: tuple[str, ...] = ()
    """Strings that must never appear in a result (file contents, hashes, secret rows)."""
    victim: Any = None
    victim_dsn: str = ""
    """PostgreSQL: an idle admin session that attacks try to cancel or terminate (``{{victim_pid}}``)."""

    def reconnect_victim(self) -> None:
        self.victim = psycopg.connect(self.victim_dsn)
        self.values["victim_pid"] = str(self.victim.info.backend_pid)

    def fill(self, sql: str, extra: dict[str, str] | None = None) -> str:
        for key, value in {**self.values, **(extra or {})}.items():
            sql = sql.replace("{{" + key + "}}", value)
        return sql


LEAK_MARKERS = ("root:x:0:0", "SCRAM-SHA-256$", "mysql_native_password", "daemon:x:1:1")


def _tag() -> str:
    return secrets.token_hex(4)


@dataclass
class _Setup:
    """A server target's demo copy, its admin engine and the unique names of its roles and secret."""

    admin_url: URL
    admin: Engine
    tag: str = field(default_factory=_tag)

    @classmethod
    def on(cls, url: str) -> _Setup:
        admin_url = make_url(url)
        return cls(admin_url, create_engine(admin_url, isolation_level="AUTOCOMMIT"))

    @property
    def database(self) -> str:
        return self.admin_url.database or ""

    @property
    def ro(self) -> str:
        return f"vozbd_rt_ro_{self.tag}"

    @property
    def lp(self) -> str:
        return f"vozbd_rt_lp_{self.tag}"

    @property
    def secret(self) -> str:
        return f"SEGREDO-{self.tag}"

    def run(self, statements: tuple[str, ...]) -> None:
        with self.admin.connect() as db:
            for statement in statements:
                db.execute(text(statement))

    def target(self, dialect: str, **fields: Any) -> Target:
        """The target: this admin URL and the read-only role's URL (password ``PASSWORD``)."""
        readonly = self.admin_url.set(username=self.ro, password=PASSWORD)
        return Target(
            dialect,
            self.admin_url.render_as_string(hide_password=False),
            readonly.render_as_string(hide_password=False),
            **fields,
        )


# --- PostgreSQL ---------------------------------------------------------------------------------------------
def postgres_target() -> Iterator[Target]:
    for url in demo_database("postgres"):
        setup = _Setup.on(url)
        ro, lp, secret, database = setup.ro, setup.lp, setup.secret, setup.database
        setup.run(
            (
                "CREATE TABLE rt_canario (id int PRIMARY KEY, v text)",
                "INSERT INTO rt_canario VALUES (1, 'intacto')",
                "CREATE INDEX rt_brin ON rt_canario USING brin (id)",
                "CREATE INDEX rt_gin ON rt_canario USING gin (to_tsvector('simple', v))",
                "CREATE SEQUENCE rt_seq",
                "CREATE SCHEMA cofre",
                "CREATE TABLE cofre.segredo (s text)",
                f"INSERT INTO cofre.segredo VALUES ('{secret}')",
                "CREATE EXTENSION IF NOT EXISTS dblink",
                "CREATE EXTENSION IF NOT EXISTS tablefunc",
                "CREATE EXTENSION IF NOT EXISTS xml2",
                "CREATE EXTENSION IF NOT EXISTS adminpack",
                "CREATE EXTENSION IF NOT EXISTS pageinspect",
                # the read-only role by vozbd's own recipe (vozbd db create-readonly-user): SELECT on public, and
                # EXECUTE on the functions with effects outside the transaction revoked from PUBLIC in this database
                *readonly_user_sql("postgres", ro, database, password=PASSWORD),
                f"CREATE ROLE {lp} NOLOGIN",
                f"CREATE SCHEMA relatorios AUTHORIZATION {lp}",
                f"GRANT USAGE ON SCHEMA relatorios TO {ro}",
                f"SET ROLE {lp}",
                "CREATE FUNCTION relatorios.resumo() RETURNS text LANGUAGE plpgsql "
                "AS $f$BEGIN RETURN pg_read_file('/etc/passwd'); END$f$",
                "CREATE VIEW relatorios.v_resumo AS SELECT relatorios.resumo() AS texto",
                "CREATE FUNCTION relatorios.trava() RETURNS int LANGUAGE sql "
                "AS $f$SELECT 1 FROM (SELECT pg_advisory_lock(4242)) s$f$",
                "CREATE VIEW relatorios.v_trava AS SELECT relatorios.trava() AS ok",
                f"GRANT SELECT ON relatorios.v_resumo, relatorios.v_trava TO {ro}",
                "RESET ROLE",
                f"GRANT CREATE ON SCHEMA public TO {lp}",
                f"SET ROLE {lp}",
                "CREATE VIEW public.v_relatorio AS SELECT relatorios.resumo() AS texto",
                f"GRANT SELECT ON public.v_relatorio TO {ro}",
                # objects whose code PostgreSQL runs without the query naming a function (privileged opt-out):
                # an operator for operand types no built-in takes, a cast of a type the role owns, a domain's
                # CHECK and a row-level-security policy, each reading /etc/passwd with the caller's rights
                "CREATE FUNCTION relatorios.soma_texto(text, integer) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE OPERATOR public.+ (LEFTARG = text, RIGHTARG = integer, FUNCTION = relatorios.soma_texto)",
                "CREATE TYPE public.rt_nota AS ENUM ('a', 'b')",
                "CREATE FUNCTION relatorios.nota_texto(public.rt_nota) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE CAST (public.rt_nota AS text) WITH FUNCTION relatorios.nota_texto(public.rt_nota) AS IMPLICIT",
                "CREATE TABLE public.rt_notas (id int, n public.rt_nota)",
                "INSERT INTO public.rt_notas VALUES (1, 'a')",
                "CREATE DOMAIN public.rt_dominio AS text CHECK (relatorios.resumo() IS NOT NULL)",
                "CREATE TABLE public.rt_rls (id int, v text)",
                "INSERT INTO public.rt_rls VALUES (1, 'linha')",
                "ALTER TABLE public.rt_rls ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE public.rt_rls FORCE ROW LEVEL SECURITY",
                "CREATE POLICY rt_ver ON public.rt_rls FOR SELECT USING (relatorios.resumo() IS NOT NULL)",
                f"GRANT SELECT ON public.rt_notas, public.rt_rls TO {ro}",
                "RESET ROLE",
                f"REVOKE CREATE ON SCHEMA public FROM {lp}",
                # held-out: a login with CREATE on the database installs a trusted extension (it owns it), then
                # adopts its own overload of a built-in into it: public.lower(varchar) beats pg_catalog.lower(text)
                # for a varchar argument, and an extension member looks like trusted extension code
                "CREATE TABLE public.rt_contatos (id int, nome varchar(80))",
                "INSERT INTO public.rt_contatos VALUES (1, 'Ana')",
                f"GRANT SELECT ON public.rt_contatos TO {ro}",
                f'GRANT CREATE ON DATABASE "{database}" TO {lp}',
                f"GRANT CREATE ON SCHEMA public TO {lp}",
                f"SET ROLE {lp}",
                "CREATE EXTENSION IF NOT EXISTS citext SCHEMA public",
                "CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "ALTER EXTENSION citext ADD FUNCTION public.lower(varchar)",
                # ... and an operator: varchar || unknown resolves to this exact-type operator, not textcat
                # (a varchar || integer one would also make vozbd's own "text || integer" truncation wrapper
                # ambiguous - every query of the database fails - so the shared target keeps this one)
                "CREATE FUNCTION public.rt_concat(varchar, varchar) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE OPERATOR public.|| (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = public.rt_concat)",
                "ALTER EXTENSION citext ADD FUNCTION public.rt_concat(varchar, varchar)",
                "ALTER EXTENSION citext ADD OPERATOR public.|| (varchar, varchar)",
                "RESET ROLE",
                f"REVOKE CREATE ON SCHEMA public FROM {lp}",
                f'REVOKE CREATE ON DATABASE "{database}" FROM {lp}',
                # held-out (sec): overloads that match vozbd's own cell-truncation wrapper (pgcells) more exactly
                # than the built-ins it means - length/left of a varchar, text || integer of the marker, to_json of
                # text, pg_column_size of an int[] - planted in the target schema by a low-privilege owner; each
                # raises the content of /etc/passwd, so a hijacked wrapper fails the case in every mode
                f"GRANT CREATE ON SCHEMA public TO {lp}",
                f"SET ROLE {lp}",
                "CREATE FUNCTION public.rt_sequestro() RETURNS text LANGUAGE plpgsql "
                "AS $f$BEGIN RAISE EXCEPTION 'sequestro: %', pg_read_file('/etc/passwd'); END$f$",
                "CREATE FUNCTION public.length(varchar) RETURNS integer LANGUAGE sql "
                "AS $f$SELECT pg_catalog.length(public.rt_sequestro())$f$",
                "CREATE FUNCTION public.left(varchar, integer) RETURNS text LANGUAGE sql "
                "AS $f$SELECT public.rt_sequestro()$f$",
                "CREATE FUNCTION public.rt_concat_int(text, integer) RETURNS text LANGUAGE sql "
                "AS $f$SELECT public.rt_sequestro()$f$",
                "CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = integer, FUNCTION = public.rt_concat_int)",
                "CREATE FUNCTION public.to_json(text) RETURNS json LANGUAGE sql "
                "AS $f$SELECT pg_catalog.to_json(public.rt_sequestro())$f$",
                "CREATE FUNCTION public.to_jsonb(text) RETURNS jsonb LANGUAGE sql "
                "AS $f$SELECT pg_catalog.to_jsonb(public.rt_sequestro())$f$",
                "CREATE FUNCTION public.pg_column_size(integer[]) RETURNS integer LANGUAGE sql "
                "AS $f$SELECT pg_catalog.length(public.rt_sequestro())$f$",
                # ... and one that matches vozbd's own catalog look-ups on a privileged login (views.py:
                # n.nspname || '.' || p.proname) more exactly than textcat
                "CREATE FUNCTION public.rt_concat_name(name, text) RETURNS text LANGUAGE sql "
                "AS $f$SELECT public.rt_sequestro()$f$",
                "CREATE OPERATOR public.|| (LEFTARG = name, RIGHTARG = text, FUNCTION = public.rt_concat_name)",
                # held-out 2: overloads of built-ins whose sqlglot node has another name than the SQL PostgreSQL
                # runs (exp.Pad -> LPAD, exp.Trim -> LTRIM, GroupConcat -> STRING_AGG, Explode -> UNNEST,
                # UnixToTime -> TO_TIMESTAMP): plain functions (no extension) of a low-privilege role in public,
                # each an exact-type match that PostgreSQL prefers to the built-in
                "CREATE FUNCTION public.lpad(varchar, integer) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE FUNCTION public.ltrim(varchar) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE FUNCTION public.to_timestamp(integer) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                # (text[], not integer[]: SQLAlchemy's own PostgreSQL reflection calls unnest() on int2vector columns
                # and an integer[] overload makes that call ambiguous - inspect_schema would fail on the target)
                "CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE FUNCTION relatorios.rt_agg(text, varchar, text) RETURNS text LANGUAGE sql "
                "AS $f$SELECT pg_read_file('/etc/passwd')$f$",
                "CREATE AGGREGATE public.string_agg(varchar, text) (SFUNC = relatorios.rt_agg, STYPE = text)",
                # ... and two views in public for the background readers (the value index reads every text column
                # of every table and view): the file's lines (short enough to be indexed) and a session lock
                "CREATE VIEW public.v_linhas AS SELECT regexp_split_to_table(relatorios.resumo(), E'\\n') AS linha",
                "CREATE VIEW public.v_trava_publica AS SELECT relatorios.trava()::text AS ok",
                "RESET ROLE",
                f"REVOKE CREATE ON SCHEMA public FROM {lp}",
                "CREATE VIEW public.v_clientes_legit AS SELECT id, upper(nome) AS nome FROM clientes",
                "CREATE VIEW public.v_de_visao AS SELECT * FROM v_relatorio",
                f"GRANT SELECT ON public.v_clientes_legit, public.v_de_visao TO {ro}",
                f"GRANT SELECT ON public.v_linhas, public.v_trava_publica TO {ro}",
                f'ALTER DATABASE "{database}" SET standard_conforming_strings = off',
            )
        )
        victim_dsn = setup.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
        victim = psycopg.connect(victim_dsn)
        target = setup.target(
            "postgres",
            values={
                "db": database,
                "ro_role": ro,
                "lp_role": lp,
                "secret": secret,
                "victim_pid": str(victim.info.backend_pid),
            },
            secrets=(secret, PASSWORD, "cofre.segredo"),
            victim=victim,
            victim_dsn=victim_dsn,
        )
        try:
            yield target
        finally:
            target.victim.close()
            setup.run(
                (
                    *(f"DROP OWNED BY {role} CASCADE" for role in (ro, lp)),
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    "WHERE slot_name LIKE 'vozbd_rt%'",
                )
            )
            setup.admin.dispose()
            cluster = create_engine(setup.admin_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with cluster.connect() as db:
                drop_database(lambda sql: db.execute(text(sql)), database)
                for role in (ro, lp):
                    db.execute(text(f"DROP ROLE IF EXISTS {role}"))
            cluster.dispose()


# --- MariaDB ------------------------------------------------------------------------------------------------
def mysql_target() -> Iterator[Target]:
    for url in demo_database("mysql"):
        setup = _Setup.on(url)
        ro, lp, secret, database = setup.ro, setup.lp, setup.secret, setup.database
        other = f"{database}_cofre"
        setup.run(
            (
                "CREATE TABLE rt_canario (id int PRIMARY KEY, v varchar(40))",
                "INSERT INTO rt_canario VALUES (1, 'intacto')",
                "CREATE SEQUENCE rt_seq",
                f"CREATE DATABASE `{other}`",
                f"CREATE TABLE `{other}`.segredo (s varchar(80))",
                f"INSERT INTO `{other}`.segredo VALUES ('{secret}')",
                f"CREATE USER '{ro}'@'%' IDENTIFIED BY '{PASSWORD}'",
                f"GRANT SELECT ON `{database}`.* TO '{ro}'@'%'",
                f"CREATE USER '{lp}'@'%' IDENTIFIED BY '{PASSWORD}'",
                f"GRANT SELECT, CREATE ROUTINE, CREATE VIEW, EXECUTE ON `{database}`.* TO '{lp}'@'%'",
                f"CREATE DEFINER='{lp}'@'%' FUNCTION resumo() RETURNS TEXT SQL SECURITY INVOKER "
                "RETURN LOAD_FILE('/etc/passwd')",
                f"CREATE DEFINER='{lp}'@'%' SQL SECURITY INVOKER VIEW v_resumo AS SELECT resumo() AS texto",
                "CREATE VIEW v_clientes_legit AS SELECT id, UPPER(nome) AS nome FROM clientes",
                f"CREATE DEFINER='{lp}'@'%' SQL SECURITY INVOKER VIEW v_de_visao AS SELECT * FROM v_resumo",
            )
        )
        target = setup.target(
            "mysql",
            values={"db": database, "other_db": other, "ro_role": ro, "lp_role": lp, "secret": secret},
            secrets=(secret, PASSWORD, f"'{other}', 'segredo'"),  # the other database's table, as a listed row
        )
        try:
            yield target
        finally:
            setup.run(
                (f"DROP DATABASE IF EXISTS `{other}`", *(f"DROP USER IF EXISTS '{user}'@'%'" for user in (ro, lp)))
            )
            setup.admin.dispose()


# --- SQLite -------------------------------------------------------------------------------------------------
def sqlite_target(directory: Path) -> Iterator[Target]:
    """``superuser``: a writable copy owned by us; ``readonly``: a 0444 copy (vozbd opens both mode=ro)."""
    tag = _tag()
    secret = f"SEGREDO-{tag}"
    writable = directory / "rt_demo.sqlite"
    shutil.copyfile(demo_db_path(), writable)
    with sqlite3.connect(writable) as db:
        db.execute("CREATE TABLE rt_canario (id INTEGER PRIMARY KEY, v TEXT)")
        db.execute("INSERT INTO rt_canario VALUES (1, 'intacto')")
    db.close()
    readonly = directory / "rt_demo_ro.sqlite"
    shutil.copyfile(writable, readonly)
    os.chmod(readonly, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    other = directory / "rt_cofre.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE segredo (s TEXT)")
        db.execute("INSERT INTO segredo VALUES (?)", (secret,))
    db.close()
    yield Target(
        "sqlite",
        URL.create("sqlite", database=str(writable)).render_as_string(hide_password=False),
        URL.create("sqlite", database=str(readonly)).render_as_string(hide_password=False),
        values={"db": "main", "other_sqlite": str(other), "secret": secret, "dir": str(directory)},
        secrets=(secret,),
    )
