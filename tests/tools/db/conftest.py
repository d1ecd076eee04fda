"""Fixtures shared by the transport tests (SSH tunnels, TLS)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.context import ToolContext
from tools.db.connect import dispose_engines


@pytest.fixture
def contexts() -> Iterator[list[ToolContext]]:
    """A list the test appends its tool contexts to; their engines (and tunnels) are disposed afterwards."""
    made: list[ToolContext] = []
    yield made
    for ctx in made:
        dispose_engines(ctx)
