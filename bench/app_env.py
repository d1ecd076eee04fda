"""The environment the in-process API benches run the app in: scripted model, one API key, no rate limit that a
bench could hit, a scratch data folder, and neither the PostgreSQL app database nor Redis of the caller's shell."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "agent" / "scripts" / "demo.yaml"
TOKEN = "bench-token-0123456789abcdef"


@contextmanager
def scripted_app_env() -> Iterator[Path]:
    """Set the environment for ``vozbd.wiring.load_settings`` and yield the scratch data folder."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            {
                "VOZBD_DATA_DIR": tmp,
                "VOZBD_MODEL": f"scripted/{SCRIPT}",
                "VOZBD_API_KEYS": f"bench:{TOKEN}",
                "VOZBD_RATE_LIMIT_PER_KEY": "1000000/minute",
                "VOZBD_RATE_LIMIT_PER_IP": "1000000/minute",
                "VOZBD_LOG_LEVEL": "WARNING",
            }
        )
        for name in ("VOZBD_DATABASE_URL", "VOZBD_REDIS_URL"):
            os.environ.pop(name, None)
        yield Path(tmp)
