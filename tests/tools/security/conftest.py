"""Fixtures of the red-team suite: one private target per dialect (see targets.py) and a ToolContext over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.dbutil import table_checksums
from tests.tools.security import targets
from tests.tools.security.harness import register
from tools.context import QueryLimits, ToolContext
from tools.db.connect import dispose_engines
from tools.db.registry import ConnectionRegistry

TIMEOUT_S = 3.0
MAX_ROWS = 50


@dataclass
class World:
    target: targets.Target
    ctx: ToolContext
    checksums: dict[str, str]


def _world(target: targets.Target, directory: Path) -> Iterator[World]:
    registry = ConnectionRegistry(directory / "registry.sqlite3", secret_key=Fernet.generate_key().decode())
    ctx = ToolContext(registry=registry, query_limits=QueryLimits(max_rows=MAX_ROWS, timeout_s=TIMEOUT_S))
    register(ctx, target)
    try:
        yield World(target, ctx, table_checksums(target.admin_url))
    finally:
        dispose_engines(ctx)


@pytest.fixture(scope="session")
def rt_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for target in targets.postgres_target():
        yield from _world(target, tmp_path_factory.mktemp("rt_pg"))


@pytest.fixture(scope="session")
def rt_mysql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for target in targets.mysql_target():
        yield from _world(target, tmp_path_factory.mktemp("rt_my"))


@pytest.fixture(scope="session")
def rt_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("rt_lite")
    for target in targets.sqlite_target(directory):
        yield from _world(target, directory)


def world_for(request: pytest.FixtureRequest, dialect: str) -> World:
    world: World = request.getfixturevalue(f"rt_{dialect}")
    return world
