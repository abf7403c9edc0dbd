"""Per-account leases in Redis: at most one worker holds an account's cloud socket.

A lease is a key with a short TTL whose value is the holder's command channel, so the web
knows where to send a control. A worker renews its leases well within the TTL; a worker that
dies lets them lapse and another one takes over after at most one TTL.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from realtime.redis import lease_key

# Only the holder may extend or drop its lease (compare-and-act, atomically in Redis). A
# lease that vanished (Redis restarted empty) is taken back by its holder if nobody took it
# meanwhile, rather than every socket being dropped and reopened (issue 17's soak).
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not holder then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"  # noqa: E501

DEFAULT_TTL = 15.0


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

    async def renew(self, account_ids: list[int]) -> set[int]:
        """Extend our leases (taking back any that vanished); returns the accounts whose
        lease another holder has now."""
        if not account_ids:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for account_id in account_ids:
                pipe.eval(_RENEW, 1, lease_key(account_id), self.holder, self.ttl_ms)
            results = await pipe.execute()
        return {a for a, kept in zip(account_ids, results, strict=True) if not kept}

    async def release(self, account_id: int) -> None:
        await self.redis.eval(_RELEASE, 1, lease_key(account_id), self.holder)


async def lease_holder(redis: aioredis.Redis, account_id: int) -> str | None:
    """The command channel of the worker holding the account, if any."""
    value = await redis.get(lease_key(account_id))
    return str(value) if value else None
