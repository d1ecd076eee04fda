"""The bundled pt-BR demo database (customer service + e-commerce), shipped as ``demo.sqlite``.

Regenerate with ``python -m tools.db.demo.generate --sqlite tools/db/demo/demo.sqlite``;
the same generator loads identical data into PostgreSQL and MariaDB.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

DEMO_REFERENCE_DATE = date(2026, 6, 30)
""""Today" in the demo data: questions like "last month" are relative to this date."""

DEMO_START_DATE = date(2024, 1, 1)

DEMO_SEED = 20260630

INJECTION_TICKET_ID = 137
"""Row id in ``chamados`` whose ``assunto`` is a prompt-injection attempt (agent safety tests use it)."""


def demo_db_path() -> Path:
    """Path of the shipped demo SQLite file (open it read-only)."""
    return Path(__file__).with_name("demo.sqlite")
