"""Per-account leases in Redis: at most one worker holds an account's cloud socket.

A lease is a key with a short TTL whose value is the holder's command channel, so the web
knows where to send a control. A worker renews all its leases together, in one script run
(and round trip) per thousand accounts, on a timer of its own (`LeaseKeeper`), well within
the TTL; a worker that dies lets them lapse and another one takes over after at most one TTL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis

from realtime.redis import lease_key

log = logging.getLogger(__name__)

# Only the holder may extend or drop its lease (compare-and-act, atomically in Redis). A
# lease of ours that lapsed or vanished while nobody else took it is taken again: a worker
# that was too busy to renew in time keeps the account it is serving, and after Redis
# restarted empty no socket is dropped and reopened (issue 17's soak). Returns the indexes
# (1-based) of the keys another holder has.
_RENEW_ALL = """
local lost = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('get', key)
  if holder == ARGV[1] then
    redis.call('pexpire', key, ARGV[2])
  elseif not holder then
    redis.call('set', key, ARGV[1], 'px', ARGV[2])
  else
    lost[#lost + 1] = i
  end
end
return lost
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"  # noqa: E501

DEFAULT_TTL = 15.0
RENEW_BATCH = 1000  # keys per script run: Redis serves others between runs


class LeaseStore:
    """Acquire, renew and release account leases for one holder."""

    def __init__(self, redis: aioredis.Redis, holder: str, ttl: float = DEFAULT_TTL) -> None:
        self.redis = redis
        self.holder = holder
        self.ttl_ms = int(ttl * 1000)

    async def acquire(self, account_id: int) -> bool:
        """Take the lease if nobody holds it."""
        return bool(
            await self.redis.set(lease_key(account_id), self.holder, nx=True, px=self.ttl_ms)
        )

    async def acquire_many(self, account_ids: list[int]) -> list[int]:
        """Take every free lease of `account_ids` in one round trip; the ones we got."""
        if not account_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for account_id in account_ids:
                pipe.set(lease_key(account_id), self.holder, nx=True, px=self.ttl_ms)
            results = await pipe.execute()
        return [a for a, got in zip(account_ids, results, strict=True) if got]

    async def renew(self, account_ids: list[int]) -> set[int]:
        """Extend our leases (taking back lapsed ones); the accounts someone else holds."""
        lost: set[int] = set()
        # A call per batch, not one pipeline of them all: packing 10,000 keys at once held
        # the worker's loop (every account's events) for over 10 ms.
        for first in range(0, len(account_ids), RENEW_BATCH):
            batch = account_ids[first : first + RENEW_BATCH]
            keys = [lease_key(a) for a in batch]
            indexes = await self.redis.eval(
                _RENEW_ALL, len(keys), *keys, self.holder, str(self.ttl_ms)
            )
            lost.update(batch[int(i) - 1] for i in indexes)
        return lost

    async def release(self, account_id: int) -> bool:
        """Drop our lease; whether we held it."""
        return bool(await self.redis.eval(_RELEASE, 1, lease_key(account_id), self.holder))


class LeaseKeeper:
    """Renews a worker's leases every `interval` seconds, whatever else the worker is doing.

    Its own task, so renewals never wait behind a reconcile round that is opening thousands
    of sockets; a script run per thousand accounts, so 10,000 cost ten round trips.
    """

    def __init__(
        self,
        store: LeaseStore,
        held: Callable[[], Iterable[int]],
        on_lost: Callable[[int], Awaitable[None]],
        interval: float,
    ) -> None:
        self.store = store
        self.held = held
        self.on_lost = on_lost
        self.interval = interval
        self.renewals = 0
        self.late = 0  # renewals that came more than one interval late (a starved loop)

    async def run(self) -> None:
        due = time.monotonic()
        while True:
            due += self.interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if time.monotonic() - due > self.interval:
                self.late += 1
                log.warning("lease renewal ran %.1f s late", time.monotonic() - due)
            try:
                await self.renew_now()
            except Exception:  # Redis hiccuped: the next round tries again, within the TTL
                log.exception("renewing leases failed")
            due = max(due, time.monotonic() - self.interval)

    async def renew_now(self) -> None:
        held = list(self.held())
        lost = await self.store.renew(held)
        self.renewals += 1
        for account_id in lost:
            log.warning("lost the lease of account %s (another worker holds it)", account_id)
            await self.on_lost(account_id)
        # Dropped while the renewal was on its way (it may have taken the lease back).
        still = set(self.held())
        for account_id in set(held) - lost - still:
            await self.store.release(account_id)


async def lease_holder(redis: aioredis.Redis, account_id: int) -> str | None:
    """The command channel of the worker holding the account, if any."""
    value = await redis.get(lease_key(account_id))
    return str(value) if value else None
