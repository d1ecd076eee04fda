"""The server applies VOZBD_GC_THRESHOLDS once started and gives CPython its state back when it stops."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(autouse=True)
def _cpython_defaults() -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)


def test_server_tunes_the_collector_while_it_lives(make_client: Callable[..., TestClient]) -> None:
    client = make_client(gc_thresholds=(12_345, 50, 100))
    assert gc.get_threshold() == (12_345, 50, 100)
    assert gc.get_freeze_count() > 0
    assert client.get("/health").status_code == 200
    client.__exit__(None, None, None)  # lifespan shutdown
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_python_keeps_cpython_defaults(make_client: Callable[..., TestClient]) -> None:
    make_client(gc_thresholds=None)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
