"""Rate limits (per key, per IP; in-process or Redis; Redis down degrades, never 500) and body size limits (413)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import unavailable
from tests.vozbd.api.conftest import ANA, BIA, KEY_ANA, KEY_BIA
from vozbd.api.ratelimit import RateLimitConfig, RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        unavailable("Redis at 127.0.0.1:6379")
    prefix = f"vozbd-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hit(client: TestClient, headers: dict[str, str] | None = None) -> int:
    return client.get("/api/v1/connections", headers=headers or {}).status_code


def test_per_key_limit_gives_429_with_retry_after(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys=[KEY_ANA, KEY_BIA], rate_limit_per_key="3/minute")
    assert [_hit(client, ANA) for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/connections", headers=ANA)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    body = refused.json()
    assert body["code"] == "rate_limited" and body["detail"]["scope"] == "key"
    assert _hit(client, BIA) == 200  # another key has its own budget
    assert client.get("/health").status_code == 200  # liveness is never limited


def test_a_limit_holds_over_any_window_whatever_the_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hits bunched just before a minute boundary, then one every 0.1 s: an estimating window (limits' sliding
    # window counter) let 6 of a "3/minute" key through within 60 s. The clock is faked; the limiter is real.
    start = 1_800_000_059.0  # one second before a minute boundary
    now = [start]
    monkeypatch.setattr(time, "time", lambda: now[0])
    limiter = RateLimiter(RateLimitConfig(per_key="3/minute", per_ip="1000/minute"))

    async def admitted_within_a_minute() -> list[float]:
        admitted = []
        for tick in range(600):
            now[0] = start + tick / 10
            if (await limiter.check(key="ana", ip="10.0.0.1")).allowed:
                admitted.append(now[0] - start)
        return admitted

    admitted = asyncio.run(admitted_within_a_minute())
    assert len(admitted) == 3, f"admitted at {[round(t, 1) for t in admitted]} s"
    assert max(admitted) < 0.5


def test_per_ip_limit_applies_without_keys(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_per_ip="2/minute")
    assert [_hit(client) for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/nao-existe").status_code == 404  # unknown paths are not counted... but answered


def test_redis_limit_is_shared_between_two_apps(make_client: Callable[..., TestClient], redis_prefix: str) -> None:
    """Two app instances (as two replicas) share the budget through Redis."""
    first = make_client(api_keys=[KEY_ANA])
    second = make_client(api_keys=[KEY_ANA])
    config = RateLimitConfig(per_key="4/minute", per_ip="1000/minute", redis_url=REDIS_URL, key_prefix=redis_prefix)
    for client in (first, second):  # what create_app builds from the settings, with this test's own key prefix
        client.app.state.api.limiter = RateLimiter(config)
    codes = [_hit(first, ANA), _hit(second, ANA), _hit(first, ANA), _hit(second, ANA), _hit(first, ANA)]
    assert codes == [200, 200, 200, 200, 429]
    assert _hit(second, ANA) == 429


def test_redis_down_degrades_to_in_process_limits(make_client: Callable[..., TestClient]) -> None:
    client = make_client(
        api_keys=[KEY_ANA], rate_limit_per_key="3/minute", redis_url=f"redis://127.0.0.1:{_closed_port()}/0"
    )
    codes = [_hit(client, ANA) for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # never a 500; still limited, per process
    ready = client.get("/ready").json()
    assert ready["checks"]["redis"]["ok"] is False and ready["checks"]["redis"]["required"] is False
    assert "vozbd_rate_limit_degraded_total" in client.get("/metrics", headers=ANA).text


def test_json_body_over_the_limit_is_413_from_content_length(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_max_json_kb=1)
    big = {"question": "x" * 3000}
    response = client.post("/api/v1/ask", json=big)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["detail"]["limit_bytes"] == 1024


def test_streamed_body_over_the_limit_is_413_without_content_length(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_max_json_kb=1)
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(100):
            sent.append(1)
            yield b"x" * 512
        yield b'"}'

    response = client.post("/api/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_audio_upload_over_the_limit_is_413_before_decoding(make_client: Callable[..., TestClient]) -> None:
    client = make_client(stt_max_mb=0.01)
    audio = b"RIFF" + b"\0" * 200_000
    response = client.post("/api/v1/transcribe", files={"audio": ("a.wav", audio, "audio/wav")})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
