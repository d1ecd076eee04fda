"""Rate limits per API key (or logged-in user) and per client IP, with the ``limits`` library (moving window).

Storage: Redis when ``VOZBD_REDIS_URL`` is set — shared by every replica — else in-process memory.
Degradation (documented in the README): when Redis fails (down, timeout, auth), the check is answered by an
in-process limiter with the same limits, a warning is logged at most once a minute, the
``vozbd_rate_limit_degraded_total`` metric grows, and Redis is retried after ``retry_after_s``. A Redis outage
therefore never turns into a 500 and never disables limiting; each replica then limits on its own.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitConfig:
    per_key: str = "120/minute"
    per_ip: str = "300/minute"
    redis_url: str | None = None
    key_prefix: str = "vozbd-rl"
    redis_timeout_s: float = 0.25
    retry_after_s: float = 5.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0
    scope: str = ""
    limit: str = ""
    degraded: bool = False


class RateLimiter:
    def __init__(self, config: RateLimitConfig, on_degraded: Callable[[], None] | None = None):
        self.config = config
        self._per_key: list[RateLimitItem] = parse_many(config.per_key)
        self._per_ip: list[RateLimitItem] = parse_many(config.per_ip)
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        if config.redis_url:
            self._redis = MovingWindowRateLimiter(_redis_storage(config))
        self._redis_down_until = 0.0
        self._last_warning = 0.0
        self._on_degraded = on_degraded

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "memory"

    async def check(self, *, key: str | None, ip: str | None) -> Verdict:
        """Count one request against the caller's key and IP limits; the first exhausted limit refuses it."""
        checks: list[tuple[str, str, list[RateLimitItem]]] = []
        if key:
            checks.append(("key", key, self._per_key))
        if ip:
            checks.append(("ip", ip, self._per_ip))
        limiter, degraded = await self._limiter()
        for scope, identity, items in checks:
            for item in items:
                try:
                    allowed = await limiter.hit(item, scope, identity)
                except (StorageError, OSError, TimeoutError) as error:
                    if limiter is self._memory:
                        raise
                    self._redis_failed(error)  # degrade, never a 500
                    limiter, degraded = self._memory, True
                    allowed = await limiter.hit(item, scope, identity)
                if not allowed:
                    stats = await self._stats(limiter, item, scope, identity)
                    return Verdict(False, stats, scope, describe(item), degraded)
        return Verdict(True, degraded=degraded)

    async def _limiter(self) -> tuple[MovingWindowRateLimiter, bool]:
        if self._redis is None:
            return self._memory, False
        if time.monotonic() < self._redis_down_until:
            self._degraded()
            return self._memory, True
        return self._redis, False

    async def _stats(self, limiter: MovingWindowRateLimiter, item: RateLimitItem, scope: str, identity: str) -> int:
        try:
            stats = await limiter.get_window_stats(item, scope, identity)
            return max(1, math.ceil(stats.reset_time - time.time()))
        except (StorageError, OSError, TimeoutError):  # the refusal stands; only the hint is approximate
            return item.get_expiry()

    def _redis_failed(self, error: Exception) -> None:
        self._redis_down_until = time.monotonic() + self.config.retry_after_s
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            log.warning(
                "rate limits: Redis unavailable (%s: %s); counting in-process for %.0f s, then retrying",
                type(error).__name__, error, self.config.retry_after_s,
            )  # fmt: skip
        self._degraded()

    def _degraded(self) -> None:
        if self._on_degraded is not None:
            self._on_degraded()

    async def ping(self) -> bool:
        """True when the shared storage answers (always True in-process)."""
        if self._redis is None:
            return True
        try:
            return bool(await self._redis.storage.check())
        except (StorageError, OSError, TimeoutError):
            return False


_UNITS = {"second": "segundo", "minute": "minuto", "hour": "hora", "day": "dia", "month": "mês", "year": "ano"}


def describe(item: RateLimitItem) -> str:
    """pt-BR for the end user: "120 por minuto", "10 a cada 5 segundos"."""
    unit = _UNITS.get(item.GRANULARITY.name, item.GRANULARITY.name)
    if item.multiples == 1:
        return f"{item.amount} por {unit}"
    plural = "meses" if unit == "mês" else unit + "s"
    return f"{item.amount} a cada {item.multiples} {plural}"


def _redis_storage(config: RateLimitConfig) -> Storage:
    url = config.redis_url
    if url is None:  # only called when a Redis URL is configured
        raise ValueError("no Redis URL configured")
    uri = url if url.startswith("async+") else f"async+{url}"
    storage = storage_from_string(
        uri,
        implementation="redispy",
        key_prefix=config.key_prefix,
        wrap_exceptions=True,
        socket_timeout=config.redis_timeout_s,
        socket_connect_timeout=config.redis_timeout_s,
    )
    if not isinstance(storage, Storage):
        raise TypeError(f"limits returned a {type(storage).__name__} for the Redis URL, not a Storage")
    return storage
