"""Classes 1 and 2 of the red-team corpus on live PostgreSQL, MariaDB and SQLite, in three modes each.

superuser (validator alone, privileged opt-out), readonly (the normal path) and bypass (validator skipped on the
read-only role: the database privileges alone must hold). See corpus.py for the case format.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.dbutil import table_checksums
from tests.tools.security.conftest import world_for
from tests.tools.security.corpus import DIALECTS, Case, load, params, validate_corpus
from tests.tools.security.harness import check, execute, record

ALL = load()
SQL_CASES = [case for case in ALL if case.klass in (1, 2)]


def test_corpus_is_well_formed_and_big_enough() -> None:
    assert validate_corpus(ALL) == []
    assert len(ALL) >= 150
    for klass in (1, 2, 3, 4):
        assert any(case.klass == klass for case in ALL), klass
    for dialect in DIALECTS:
        assert sum(dialect in case.dialects for case in ALL) >= 40, dialect


@pytest.mark.parametrize(("case", "dialect", "mode"), params(SQL_CASES))
def test_attack(case: Case, dialect: str, mode: str, request: pytest.FixtureRequest) -> None:
    world = world_for(request, dialect)
    out_path = Path(f"/tmp/vozbd_rt_{os.getpid()}_{secrets.token_hex(4)}")
    extra = {"out_path": str(out_path)}
    try:
        observed = execute(case, dialect, mode, world.target, world.ctx, extra)
        side_effect = check(case.check, world.target, extra, world.ctx)
    finally:
        out_path.unlink(missing_ok=True)
    ok = side_effect is None and observed.outcome in case.expected(mode, dialect)
    record(case, dialect, mode, observed, side_effect, ok)
    assert side_effect is None, f"{case.id} [{mode}]: side effect: {side_effect} ({observed.outcome})"
    expected = case.expected(mode, dialect)
    assert observed.outcome in expected, f"{case.id} [{mode}]: {observed.outcome}: {observed.detail}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_zz_no_table_changed_after_the_corpus(dialect: str, request: pytest.FixtureRequest) -> None:
    world = world_for(request, dialect)
    assert table_checksums(world.target.admin_url) == world.checksums
