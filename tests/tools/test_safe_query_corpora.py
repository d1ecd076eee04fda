"""The attack and legit corpora (tests/tools/corpora/*.yaml), checked by the validator and on live databases."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import URL

from tests.dbutil import table_checksums
from tools.context import ToolContext
from tools.errors import UnsafeQueryError
from tools.safe_query import RunQueryInput, run_query, validate

CORPORA = Path(__file__).parent / "corpora"
LIVE_DIALECTS = ("sqlite", "postgres", "mysql")


def _load(name: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load((CORPORA / name).read_text(encoding="utf-8"))
    for case in cases:
        case["dialects"] = list(LIVE_DIALECTS) if case["dialects"] == "all" else case["dialects"]
    return cases


ATTACKS = _load("attacks.yaml")
LEGIT = _load("legit.yaml")


def _pairs(cases: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(case, dialect, id=f"{case['id']}-{dialect}") for case in cases for dialect in case["dialects"]]


def test_corpora_are_big_enough_and_well_formed() -> None:
    assert len(ATTACKS) >= 150 and len(LEGIT) >= 100
    for corpus in (ATTACKS, LEGIT):
        ids = [case["id"] for case in corpus]
        assert len(ids) == len(set(ids)), "duplicate ids"
        for case in corpus:
            assert set(case["dialects"]) <= set(LIVE_DIALECTS), case["id"]
    for dialect in LIVE_DIALECTS:
        assert sum(dialect in case["dialects"] for case in ATTACKS) >= 50, dialect


@pytest.mark.parametrize(("case", "dialect"), _pairs(ATTACKS))
def test_attack_is_rejected_by_the_validator(case: dict[str, Any], dialect: str) -> None:
    with pytest.raises(UnsafeQueryError) as caught:
        validate(case["sql"], dialect)
    assert caught.value.detail["code"] == case["code"], caught.value.message
    assert caught.value.message  # pt-BR explanation for the LLM


@pytest.mark.parametrize(("case", "dialect"), _pairs(LEGIT))
def test_legit_query_passes_the_validator(case: dict[str, Any], dialect: str) -> None:
    statement = validate(case["sql"], dialect)
    assert statement.sql
    validate(statement.sql, dialect)  # the canonical text is itself valid


# --- live databases --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Live:
    dialect: str
    url: str


@pytest.fixture(scope="module", params=LIVE_DIALECTS)
def live(request: pytest.FixtureRequest) -> Live:
    if request.param == "sqlite":
        path: Path = request.getfixturevalue("demo_sqlite")
        return Live("sqlite", URL.create("sqlite", database=str(path)).render_as_string(hide_password=False))
    fixture = {"postgres": "demo_pg_url", "mysql": "demo_mysql_url"}[request.param]
    return Live(request.param, request.getfixturevalue(fixture))


def test_every_attack_raises_on_the_live_database_and_changes_nothing(live: Live, tool_ctx: ToolContext) -> None:
    before = table_checksums(live.url)
    cases = [case for case in ATTACKS if live.dialect in case["dialects"]]
    not_raised = []
    for case in cases:
        try:
            run_query(RunQueryInput(sql=case["sql"], connection=live.url), tool_ctx)
        except UnsafeQueryError:
            continue
        not_raised.append(case["id"])
    assert not_raised == []
    assert table_checksums(live.url) == before


def test_every_legit_query_runs_on_the_live_database(live: Live, tool_ctx: ToolContext) -> None:
    before = table_checksums(live.url)
    failures = []
    ran = 0
    for case in LEGIT:
        if live.dialect not in case["dialects"]:
            continue
        try:
            result = run_query(RunQueryInput(sql=case["sql"], connection=live.url), tool_ctx)
        except Exception as error:  # collect every failure with its message, then fail once
            failures.append(f"{case['id']}: {type(error).__name__}: {getattr(error, 'message', error)}")
            continue
        ran += 1
        assert result.columns, case["id"]
    assert failures == []
    assert ran >= 60
    assert table_checksums(live.url) == before
