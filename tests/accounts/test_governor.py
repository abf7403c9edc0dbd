"""The deployment-wide call governor: processes share one pace through Redis."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

from accounts.governor import RedisGovernor


def _governor(url: str, prefix: str, **options: float) -> RedisGovernor:
    return RedisGovernor(url, prefix=prefix, **options)


async def test_two_processes_share_the_spacing_of_one_interface(redis_url):
    prefix = f"test:{uuid.uuid4().hex}"
    # Two governors stand for two processes (say web and a Celery worker).
    web, worker = (_governor(redis_url, prefix, min_interval=0.2) for _ in range(2))
    started = time.monotonic()
    stamps: list[float] = []

    async def call(governor: RedisGovernor) -> None:
        await governor.acquire("/v2/device/thing")
        stamps.append(time.monotonic() - started)

    await asyncio.gather(call(web), call(worker), call(web), call(worker))
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(gap >= 0.17 for gap in gaps), gaps  # 200 ms apart whichever process called
    assert web.stats().calls["/v2/device/thing"] == 2
    # Another interface is not held up by this one.
    before = time.monotonic()
    await worker.acquire("/v2/family")
    assert time.monotonic() - before < 0.1


async def test_the_window_limit_counts_every_process(redis_url):
    prefix = f"test:{uuid.uuid4().hex}"
    first, second = (
        _governor(redis_url, prefix, min_interval=0, window=0.5, window_limit=2) for _ in range(2)
    )
    started = time.monotonic()
    await first.acquire("/a")
    await second.acquire("/b")
    assert time.monotonic() - started < 0.2
    await first.acquire("/c")  # the third call in the window waits for the first to leave it
    assert time.monotonic() - started >= 0.45


async def test_without_redis_it_still_paces_this_process():
    governor = RedisGovernor("redis://127.0.0.1:1/0", min_interval=0.2)
    started = time.monotonic()
    await governor.acquire("/x")
    await governor.acquire("/x")
    assert time.monotonic() - started >= 0.18
