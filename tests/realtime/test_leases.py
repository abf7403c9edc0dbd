"""Leases stay with a busy worker: renewed on their own timer, a call per thousand, taken back
if they lapsed while nobody else took them; given up only to another holder."""

from __future__ import annotations

import asyncio
import time

import pytest

import ewelink
from realtime import redis as keys
from realtime.worker import supervisor
from realtime.worker.leases import LeaseKeeper, LeaseStore
from tests.realtime.conftest import link, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
US = "demo-us@example.com"


async def test_renewing_thousands_of_leases_batch_by_batch_takes_back_lapsed_ones(
    clean_redis,
):
    redis = keys.client()
    mine = LeaseStore(redis, "worker-a", ttl=0.3)
    theirs = LeaseStore(redis, "worker-b", ttl=30)
    ids = list(range(1, 2501))
    assert await mine.acquire_many(ids) == ids
    await asyncio.sleep(0.4)  # every lease lapsed: the worker was too busy to renew
    # …and another worker took two of them meanwhile, in the first and the last batch.
    assert await theirs.acquire(7)
    assert await theirs.acquire(2401)
    lost = await mine.renew(ids)
    assert lost == {7, 2401}
    holders = await redis.mget([keys.lease_key(a) for a in ids])
    assert holders.count("worker-a") == len(ids) - 2
    assert 0 < await redis.pttl(keys.lease_key(2500)) <= 300


async def test_the_keeper_renews_on_time_while_reconcile_rounds_take_longer_than_the_ttl(
    owner, cloud, clean_redis, monkeypatch
):
    """The old worker renewed only between reconcile rounds: a round slower than the lease
    TTL (thousands of sockets opening) let its leases lapse, and it dropped those accounts."""
    account = await link(owner, US)
    slow = supervisor.wanted_accounts

    def busy_round(shard: supervisor.Shard) -> dict:
        time.sleep(1.5)  # a round that takes longer than the 1 s lease
        return slow(shard)

    worker = supervisor.Worker(poll_interval=0.05, lease_ttl=1.0, flush_interval=0.1)
    task = asyncio.create_task(worker.run())
    try:

        async def connected() -> bool:
            conn = worker.connections.get(account.pk)
            return conn is not None and conn.connected

        await wait_for(connected)
        held = worker.connections[account.pk]
        monkeypatch.setattr(supervisor, "wanted_accounts", busy_round)
        redis = keys.client()
        deadline = time.monotonic() + 4.5  # three slow rounds
        while time.monotonic() < deadline:
            assert await redis.get(keys.lease_key(account.pk)) == worker.channel
            assert worker.connections.get(account.pk) is held  # never dropped
            await asyncio.sleep(0.1)
        assert worker.keeper is not None
        assert worker.keeper.renewals >= 10
    finally:
        worker.stop()
        await asyncio.wait_for(task, 20)


async def test_a_lease_another_worker_holds_is_given_up(clean_redis):
    redis = keys.client()
    mine = LeaseStore(redis, "worker-a", ttl=0.2)
    assert await mine.acquire(5)
    await asyncio.sleep(0.3)
    assert await LeaseStore(redis, "worker-b", ttl=30).acquire(5)
    dropped: list[int] = []
    held = [5]

    async def lost(account_id: int) -> None:
        dropped.append(account_id)
        held.remove(account_id)

    keeper = LeaseKeeper(mine, lambda: held, lost, interval=0.05)
    await keeper.renew_now()
    assert dropped == [5]
    assert await redis.get(keys.lease_key(5)) == "worker-b"


async def test_a_lease_dropped_during_a_renewal_is_not_kept(clean_redis):
    redis = keys.client()
    mine = LeaseStore(redis, "worker-a", ttl=30)
    assert await mine.acquire_many([1, 2]) == [1, 2]
    held = [1, 2]
    renew = mine.renew

    async def renew_then_drop(ids: list[int]) -> set[int]:
        await mine.release(2)
        held.remove(2)  # the worker let go of account 2 meanwhile
        return await renew(ids)  # this renewal was already on its way with it

    mine.renew = renew_then_drop  # type: ignore[method-assign]

    async def never(account_id: int) -> None:
        raise AssertionError(account_id)

    await LeaseKeeper(mine, lambda: held, never, interval=1).renew_now()
    assert await redis.get(keys.lease_key(1)) == "worker-a"
    assert await redis.get(keys.lease_key(2)) is None


async def test_a_lease_taken_over_is_used_only_once_its_old_holder_let_go(
    owner, cloud, clean_redis
):
    # Issue 17's soak, two workers on one shard: Redis came back empty and the second worker
    # took the lease before the holder's next renewal, then opened a second cloud socket while
    # the holder's was still up (cloudsim counted 2). The taker now waits out one renewal
    # interval first: the holder sees the loss in that time and closes its socket.
    account = await link(owner, US)
    backoff = ewelink.Backoff(low=0.2, high=0.5, cap=2.0)
    options = {"backoff": backoff}
    holder = supervisor.Worker(poll_interval=0.1, lease_ttl=3.0, session_options=options)
    holder_run = asyncio.create_task(holder.run())
    taker = supervisor.Worker(poll_interval=0.1, lease_ttl=3.0, session_options=options)
    taker_run: asyncio.Task[None] | None = None
    try:

        async def holder_up() -> bool:
            conn = holder.connections.get(account.pk)
            return conn is not None and conn.connected

        await wait_for(holder_up)
        assert holder.keeper is not None
        renewals = holder.keeper.renewals

        async def just_renewed() -> bool:
            return holder.keeper.renewals > renewals

        await wait_for(just_renewed)  # its next renewal is a whole interval (1 s) away
        await asyncio.to_thread(cloud.control, "POST", "/sessions/reset-peaks")
        await keys.client().delete(keys.lease_key(account.pk))  # Redis came back empty
        taker_run = asyncio.create_task(taker.run())

        async def taken_over() -> bool:
            conn = taker.connections.get(account.pk)
            return conn is not None and conn.connected and account.pk not in holder.connections

        await wait_for(taken_over)
        sessions = await asyncio.to_thread(cloud.control, "GET", "/sessions")
        assert sessions["max_peak"] == 1, sessions
        assert await keys.client().get(keys.lease_key(account.pk)) == taker.channel
    finally:
        holder.stop()
        taker.stop()
        await asyncio.wait_for(holder_run, 20)
        if taker_run is not None:
            await asyncio.wait_for(taker_run, 20)
