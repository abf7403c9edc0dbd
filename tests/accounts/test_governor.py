"""The deployment-wide call governor: processes share one pace through Redis."""

from __future__ import annotations

import asyncio
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
    # 200 ms apart whichever process called: no call ran before its slot (a caller can wake
    # late on a busy machine, never early, so this holds where gaps between wake-ups do not).
    assert all(stamp >= i * 0.2 - 0.03 for i, stamp in enumerate(stamps)), stamps
    assert web.stats().calls["/v2/device/thing"] == 2
    # Another interface is not held up by this one: its booking asks for no wait (counted,
    # not timed, so a loaded machine cannot fail it).
    await worker.acquire("/v2/family")
    assert worker.stats().calls["/v2/family"] == 1
    assert worker.stats().waits["/v2/family"] == 0


async def test_the_window_limit_counts_every_process(redis_url):
    prefix = f"test:{uuid.uuid4().hex}"
    first, second = (
        _governor(redis_url, prefix, min_interval=0, window=0.5, window_limit=2) for _ in range(2)
    )
    started = time.monotonic()
    await first.acquire("/a")
    await second.acquire("/b")
    assert (first.stats().waits["/a"], second.stats().waits["/b"]) == (0, 0)
    await first.acquire("/c")  # the third call in the window waits for the first to leave it
    assert first.stats().waits["/c"] == 1
    assert time.monotonic() - started >= 0.45


async def test_without_redis_it_still_paces_this_process():
    governor = RedisGovernor("redis://127.0.0.1:1/0", min_interval=0.2)
    started = time.monotonic()
    await governor.acquire("/x")
    await governor.acquire("/x")
    assert time.monotonic() - started >= 0.18


async def test_one_accounts_burst_does_not_hold_up_another_accounts_control(redis_url):
    """At the real spacing: a household's burst of group controls through one process, and
    another household's control through another, waits at most for the next free slot."""
    prefix = f"test:{uuid.uuid4().hex}"
    web, other_web = (_governor(redis_url, prefix, min_interval=0.55) for _ in range(2))
    status = "/v2/device/thing/status"
    burst = [asyncio.create_task(web.acquire(status, "burst-account")) for _ in range(30)]
    await asyncio.sleep(0.3)  # the burst has taken a slot and queued 29 more
    asked = time.monotonic()
    await other_web.acquire(status, "quiet-account")
    waited = time.monotonic() - asked
    # Held up, it would wait ~16 s (first come, first served); the bound leaves a loaded
    # machine seconds of scheduling slack without letting that through.
    assert waited < 3, waited
    for task in burst:
        task.cancel()
    await asyncio.gather(*burst, return_exceptions=True)


async def test_an_accounts_share_of_the_window_holds_across_processes(redis_url):
    prefix = f"test:{uuid.uuid4().hex}"
    first, second = (
        _governor(redis_url, prefix, min_interval=0, window=0.5, window_limit=10,
                  key_window_limit=2)
        for _ in range(2)
    )  # fmt: skip
    started = time.monotonic()
    await first.acquire("/a", "greedy")
    await second.acquire("/b", "greedy")
    await second.acquire("/b", "modest")
    # Held for the window it would take ≥ 0.5 s; the rest of the margin is for a busy machine.
    assert time.monotonic() - started < 0.4
    await first.acquire("/c", "greedy")  # its third call waits for its first to leave
    assert time.monotonic() - started >= 0.45


async def test_waiting_accounts_are_ranked_by_when_they_were_last_served_then_by_key(redis_url):
    """Each answer says how long to wait: the next slot plus one spacing per account ahead,
    read from the rank of the waiting set (a starting worker has thousands of accounts there,
    so the rank is a sorted set's, not a pass over every waiter)."""
    spacing = 10.0
    prefix = f"test:{uuid.uuid4().hex}"
    web, worker = (_governor(redis_url, prefix, min_interval=spacing) for _ in range(2))
    assert (await web.claim("/x", "b"))[0]  # served now; the next slot is 10 s away
    for key in ("c", "b", "a"):  # all three wait
        await worker.claim("/x", key)
    waits = {key: (await worker.claim("/x", key)) for key in ("c", "b", "a")}
    assert not any(granted for granted, _ in waits.values())
    base = waits["a"][1]  # never served and first by key: nobody ahead
    assert base <= spacing
    assert abs(waits["c"][1] - base - spacing) < 1  # behind "a" only
    assert abs(waits["b"][1] - base - 2 * spacing) < 1  # served last: behind both
