"""Governor, websocket pacer, backoff and sequence numbers, with an injected clock."""

from __future__ import annotations

import asyncio
import random

import pytest

from ewelink.backoff import Backoff
from ewelink.governor import Governor, Pacer
from ewelink.sequence import next_sequence


class FakeClock:
    """A clock that only moves when the fake sleep is awaited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_same_interface_calls_are_500ms_apart() -> None:
    clock = FakeClock()
    governor = Governor(min_interval=0.5, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(3):
        await governor.acquire("/v2/family")
        stamps.append(clock.now)
    await governor.acquire("/v2/device/thing")  # another interface does not wait
    stamps.append(clock.now)
    assert stamps == [1000.0, 1000.5, 1001.0, 1001.0]
    stats = governor.stats()
    assert stats.calls["/v2/family"] == 3
    assert stats.waits["/v2/family"] == 2
    assert stats.waits["/v2/device/thing"] == 0
    assert stats.waited_seconds == pytest.approx(1.0)
    assert stats.as_dict()["calls_in_window"] == 4


async def test_concurrent_callers_queue_for_slots() -> None:
    clock = FakeClock()
    governor = Governor(clock=clock, sleep=clock.sleep)
    delays = [governor.reserve("/x") for _ in range(4)]
    assert delays == pytest.approx([0.0, 0.55, 1.1, 1.65])  # 500 ms plus a jitter margin


async def test_window_limit_delays_the_301st_call() -> None:
    clock = FakeClock()
    governor = Governor(clock=clock, sleep=clock.sleep, window=300.0, window_limit=3)
    for index in range(3):
        await governor.acquire(f"GET /{index}")
    start = clock.now
    await governor.acquire("GET /3")
    assert clock.now - start == pytest.approx(300.0)
    assert governor.stats().waits["GET /3"] == 1


async def test_disabled_and_scaled_governors() -> None:
    clock = FakeClock()
    off = Governor(enabled=False, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await off.acquire("GET /a")
    assert clock.slept == []
    assert off.stats().calls["GET /a"] == 5
    scaled = Governor(clock=clock, sleep=clock.sleep)
    scaled.scale(0.1)
    await scaled.acquire("GET /a")
    await scaled.acquire("GET /a")
    assert clock.slept == [pytest.approx(0.055)]  # (500 ms + margin) x 0.1


async def test_pacer_spaces_websocket_commands() -> None:
    clock = FakeClock()
    pacer = Pacer(0.1, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await pacer.wait()
    assert clock.slept == [pytest.approx(0.1), pytest.approx(0.1)]
    assert pacer.waits == 2


def test_backoff_first_delay_and_cap_with_seeded_random() -> None:
    rng = random.Random(7)
    backoff = Backoff(rand=rng.random)
    delays = [backoff.next_delay() for _ in range(12)]
    assert 1.0 <= delays[0] <= 15.0
    assert 2.0 <= delays[1] <= 30.0
    assert all(d <= 300.0 for d in delays)
    assert delays[-1] == pytest.approx(300.0)  # low bound reached the cap
    again = Backoff(rand=random.Random(7).random)
    assert [again.next_delay() for _ in range(12)] == delays  # deterministic


def test_backoff_bounds_and_reset() -> None:
    lowest = Backoff(rand=lambda: 0.0)
    highest = Backoff(rand=lambda: 0.999999)
    assert [lowest.next_delay() for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert highest.next_delay() == pytest.approx(15.0, rel=1e-5)
    lowest.reset()
    assert lowest.failures == 0
    assert lowest.next_delay() == 1.0
    with pytest.raises(ValueError, match="low"):
        Backoff(low=5, high=1)


def test_sequence_strictly_increases_even_within_one_ms() -> None:
    values = [int(next_sequence(lambda: 5)) for _ in range(5)]
    assert values == sorted(set(values))
    later = int(next_sequence())
    assert later > values[-1]


async def test_sequence_is_unique_across_concurrent_tasks() -> None:
    async def grab() -> list[str]:
        out = []
        for _ in range(50):
            out.append(next_sequence())
            await asyncio.sleep(0)
        return out

    batches = await asyncio.gather(*(grab() for _ in range(4)))
    every = [value for batch in batches for value in batch]
    assert len(set(every)) == len(every)
