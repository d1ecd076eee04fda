"""GC tuning for servers: frozen and tuned while the app lives, CPython's state back afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from pydantic import ValidationError

from vozbd.gc_tuning import tuned_gc
from vozbd.settings import Settings


@pytest.fixture(autouse=True)
def _cpython_defaults() -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)


def test_tuned_gc_freezes_sets_and_restores() -> None:
    with tuned_gc((20_000, 50, 100)):
        assert gc.get_threshold() == (20_000, 50, 100)
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_none_leaves_the_collector_alone() -> None:
    with tuned_gc(None):
        assert gc.get_threshold() == (700, 10, 10)
        assert gc.get_freeze_count() == 0


def test_restores_after_an_error() -> None:
    with pytest.raises(RuntimeError), tuned_gc((5_000, 20, 20)):
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("20000,50,100", (20_000, 50, 100)), (" 1000, 5 ,5 ", (1000, 5, 5)), ("python", None), ("", None)],
)
def test_setting_parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, expected: object) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("VOZBD_GC_THRESHOLDS", raw)
    assert Settings().gc_thresholds == expected


@pytest.mark.parametrize("raw", ["20000,50", "a,b,c", "0,10,10", "-1,10,10", "1,2,3,4"])
def test_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_GC_THRESHOLDS", raw)
    with pytest.raises(ValidationError, match="G0,G1,G2"):
        Settings()
