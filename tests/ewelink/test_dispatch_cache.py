"""Dispatch answers shared between sessions: one call for many, fresh after a failure."""

from __future__ import annotations

import asyncio

import pytest

from ewelink import DispatchCache
from ewelink.models import DispatchInfo
from tests.waiting import async_until

URL = "https://eu-dispa.coolkit.cc/dispatch/app"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Dispatch:
    """A dispatch endpoint that counts its calls and answers a new host each time."""

    def __init__(self, delay: float = 0.0, fail: Exception | None = None) -> None:
        self.calls = 0
        self.delay = delay
        self.fail = fail

    async def __call__(self) -> DispatchInfo:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        host = f"eu-pconnect{self.calls}.coolkit.cc"
        return DispatchInfo.from_raw({"domain": host, "port": 8080, "IP": "1.2.3.4"})


async def test_concurrent_sessions_share_one_call_until_the_answer_is_old():
    clock, dispatch = Clock(), Dispatch(delay=0.01)
    cache = DispatchCache(ttl=30, clock=clock)
    answers = await asyncio.gather(*(cache.get(URL, dispatch) for _ in range(100)))
    assert dispatch.calls == 1
    assert {a.domain for a in answers} == {"eu-pconnect1.coolkit.cc"}
    clock.now = 29.9
    assert (await cache.get(URL, dispatch)).domain == "eu-pconnect1.coolkit.cc"
    clock.now = 30.0
    assert (await cache.get(URL, dispatch)).domain == "eu-pconnect2.coolkit.cc"
    other_region = await cache.get("https://us-dispa.coolkit.cc/dispatch/app", dispatch)
    assert other_region.domain == "eu-pconnect3.coolkit.cc"  # its own call


async def test_a_failed_socket_forgets_only_the_answer_it_used():
    cache, dispatch = DispatchCache(ttl=30, clock=Clock()), Dispatch()
    old = await cache.get(URL, dispatch)
    cache.forget(URL, old)
    new = await cache.get(URL, dispatch)
    assert new.domain == "eu-pconnect2.coolkit.cc"
    cache.forget(URL, old)  # a late session that used the old host: the new answer stays
    assert await cache.get(URL, dispatch) is new
    assert dispatch.calls == 2


async def test_a_failed_call_fails_its_waiters_and_is_not_kept():
    cache = DispatchCache(ttl=30, clock=Clock())
    broken = Dispatch(delay=0.01, fail=ConnectionError("dispatch down"))
    results = await asyncio.gather(
        *(cache.get(URL, broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    assert broken.calls == 1
    assert (await cache.get(URL, Dispatch())).domain == "eu-pconnect1.coolkit.cc"


async def test_a_cancelled_caller_does_not_cancel_those_waiting_on_its_call():
    # The first call hangs until cancelled, so no timing decides who waits on whom.
    cache, dispatch = DispatchCache(ttl=30, clock=Clock()), Dispatch(delay=3600)
    first = asyncio.create_task(cache.get(URL, dispatch))
    await async_until(lambda: dispatch.calls == 1, what="the first dispatch call")
    second = asyncio.create_task(cache.get(URL, dispatch))
    await asyncio.sleep(0)  # one turn of the loop, no time: the new caller joins the call
    assert dispatch.calls == 1
    dispatch.delay = 0.0
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (await second).domain == "eu-pconnect2.coolkit.cc"  # it made its own call
