"""Disk cache of synthesized phrases keyed by (engine, voice, speed, text); size-bounded, LRU by mtime.

Each entry is a small ``.npy`` file of float32 samples; the sample rate is part of the file name.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class PhraseCache:
    def __init__(self, directory: Path, max_mb: float) -> None:
        self.directory = directory
        self.max_bytes = int(max_mb * 1024 * 1024)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @staticmethod
    def key(engine: str, voice: str, speed: float, text: str) -> str:
        raw = f"{engine}\x1f{voice}\x1f{speed:.3f}\x1f{text}".encode()
        return hashlib.sha256(raw).hexdigest()[:40]

    def _find(self, key: str) -> Path | None:
        matches = list(self.directory.glob(f"{key}-*.npy")) if self.directory.is_dir() else []
        return matches[0] if matches else None

    def get(self, key: str) -> tuple[np.ndarray, int] | None:
        if not self.enabled:
            return None
        path = self._find(key)
        if path is None:
            return None
        try:
            samples = np.load(path, allow_pickle=False)
            rate = int(path.stem.rsplit("-", 1)[1])
            os.utime(path)  # mark as recently used
        except (OSError, ValueError) as error:
            log.warning("Dropping unreadable TTS cache entry %s: %s", path, error)
            path.unlink(missing_ok=True)
            return None
        return samples, rate

    def put(self, key: str, samples: np.ndarray, rate: int) -> None:
        if not self.enabled:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{key}-{rate}.npy"
        tmp = target.with_suffix(f".{threading.get_ident()}.tmp")
        with tmp.open("wb") as handle:
            np.save(handle, np.asarray(samples, dtype=np.float32), allow_pickle=False)
        tmp.replace(target)
        self.evict()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.glob("*.npy")) if self.directory.is_dir() else 0

    def evict(self) -> int:
        """Delete least recently used entries until the cache fits; return how many were removed."""
        with self._lock:
            entries = []
            for path in self.directory.glob("*.npy"):
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                entries.append((stat.st_mtime, stat.st_size, path))
            total = sum(size for _, size, _ in entries)
            removed = 0
            for _, size, path in sorted(entries, key=lambda e: e[0]):
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size
                removed += 1
            return removed
