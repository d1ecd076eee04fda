"""Generate the demo database into SQLite, PostgreSQL or MariaDB/MySQL: one schema, identical data.

python -m tools.db.demo.generate --sqlite tools/db/demo/demo.sqlite
python -m tools.db.demo.generate --postgres postgresql://postgres@127.0.0.1:5432/demo [--schema loja]
python -m tools.db.demo.generate --mysql mysql://root@127.0.0.1:3306/demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, inspect, text
from sqlalchemy.schema import CreateSchema

from tools.db.demo import DEMO_SEED
from tools.db.demo.rows import build_rows
from tools.db.demo.schema import TABLE_NAMES, metadata

_BATCH = 1000


def load(engine: Engine, *, schema: str | None = None, replace: bool = False, seed: int = DEMO_SEED) -> dict[str, int]:
    """Create the demo tables on ``engine`` (optionally inside ``schema``) and insert the rows.

    Refuses to touch existing demo tables unless ``replace`` is true. Returns the row count per table.
    """
    rows = build_rows(seed)
    if schema and engine.dialect.name != "postgresql":
        raise ValueError("--schema is only supported for PostgreSQL")
    engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    with engine.begin() as conn:
        if schema:
            conn.execute(CreateSchema(schema, if_not_exists=True))
        existing = set(inspect(conn).get_table_names(schema=schema)) & set(TABLE_NAMES)
        if existing and not replace:
            raise FileExistsError(f"demo tables already exist: {sorted(existing)} (use --replace)")
        metadata.drop_all(conn, checkfirst=True)
        metadata.create_all(conn)
        for table in metadata.sorted_tables:
            data = rows[table.name]
            for start in range(0, len(data), _BATCH):
                conn.execute(table.insert(), data[start : start + _BATCH])
    return {name: len(rows[name]) for name in TABLE_NAMES}


def write_sqlite(path: Path, *, seed: int = DEMO_SEED) -> dict[str, int]:
    """(Re)create the SQLite demo file at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    engine = create_engine(URL.create("sqlite", database=str(tmp)))
    try:
        counts = load(engine, seed=seed)
        with engine.connect() as conn:
            conn.execute(text("VACUUM"))
    finally:
        engine.dispose()
    tmp.replace(path)
    return counts


def _server_url(text_url: str) -> URL:
    from tools.db.urls import parse_url

    return parse_url(text_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.db.demo.generate", description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", type=Path, metavar="PATH", help="write a SQLite file (replaced if it exists)")
    target.add_argument("--postgres", metavar="URL", help="load into this PostgreSQL database")
    target.add_argument("--mysql", metavar="URL", help="load into this MariaDB/MySQL database")
    parser.add_argument("--schema", help="PostgreSQL schema to create the tables in (default: public)")
    parser.add_argument("--replace", action="store_true", help="drop existing demo tables first")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.sqlite:
        counts = write_sqlite(args.sqlite, seed=args.seed)
        where = str(args.sqlite)
    else:
        from tools.db.urls import mask_url
        from tools.errors import ToolError

        try:
            url = _server_url(args.postgres or args.mysql)
        except ToolError as error:
            print(f"error: {error.message}", file=sys.stderr)
            return 2
        engine = create_engine(url)
        try:
            counts = load(engine, schema=args.schema, replace=args.replace, seed=args.seed)
        except (FileExistsError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
        where = mask_url(url) + (f" (schema {args.schema})" if args.schema else "")
    print(f"demo database written to {where}: {sum(counts.values())} rows")
    for name, count in counts.items():
        print(f"  {name:16} {count:6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
