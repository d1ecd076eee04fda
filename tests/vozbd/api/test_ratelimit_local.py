"""The in-process moving window (``LocalWindows``): the rule of ``limits``' moving window, without tasks or threads."""

from __future__ import annotations

import asyncio
import threading
import time

from limits import parse

from vozbd.api.ratelimit import LocalWindows, RateLimitConfig, RateLimiter


def test_refuses_once_the_window_is_full_and_accepts_when_it_moves() -> None:
    async def scenario() -> None:
        windows = LocalWindows()
        item = parse("3/second")
        assert [await windows.hit(item, "key", "ana") for _ in range(4)] == [True, True, True, False]
        assert await windows.hit(item, "key", "bia")  # another caller has its own window
        stats = await windows.get_window_stats(item, "key", "ana")
        assert stats.remaining == 0 and 0 < stats.reset_time - time.time() <= 1.0
        await asyncio.sleep(1.05)
        assert await windows.hit(item, "key", "ana")
        assert (await windows.get_window_stats(item, "key", "ana")).remaining == 2

    asyncio.run(scenario())


def test_refused_hits_do_not_extend_the_window() -> None:
    async def scenario() -> None:
        windows = LocalWindows()
        item = parse("1/second")
        assert await windows.hit(item, "ip", "10.0.0.1")
        await asyncio.sleep(0.6)
        assert not await windows.hit(item, "ip", "10.0.0.1")  # refused: not counted
        await asyncio.sleep(0.5)
        assert await windows.hit(item, "ip", "10.0.0.1")

    asyncio.run(scenario())


def test_idle_callers_are_swept() -> None:
    async def scenario() -> None:
        windows = LocalWindows()
        windows.SWEEP_EVERY = 10
        item = parse("5/second")
        for i in range(9):
            await windows.hit(item, "ip", f"10.0.0.{i}")
        await asyncio.sleep(1.05)
        await windows.hit(item, "ip", "10.0.1.1")  # the 10th hit sweeps the nine idle callers
        assert len(windows._windows) == 1

    asyncio.run(scenario())


def test_a_check_starts_no_task_and_no_thread() -> None:
    """limits' asyncio memory storage started a clean-up task per request, and that task a worker thread."""

    async def scenario() -> None:
        limiter = RateLimiter(RateLimitConfig(per_key="100/minute", per_ip="100/minute"))
        threads = threading.active_count()
        tasks = len(asyncio.all_tasks())
        for _ in range(20):
            assert (await limiter.check(key="ana", ip="127.0.0.1")).allowed
            assert len(asyncio.all_tasks()) == tasks
        assert threading.active_count() == threads

    asyncio.run(scenario())
