"""Cloud etiquette across processes: one call governor for the whole deployment, in Redis.

The cloud counts calls per egress IP (notes §1.8: ≥ 500 ms between calls to one interface,
≤ 300 calls per 5 minutes), and every process of a deployment — web, Celery workers, the
realtime workers — leaves through the same IP. `ewelink.Governor` paces one process; this
subclass books the slots in Redis, atomically and on Redis's clock, so together the
processes keep the pace one process would.
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

import ewelink
from ewelink.governor import MIN_INTERVAL, WINDOW, WINDOW_LIMIT

# Returns how many seconds the caller must wait for its slot (as a string: Lua numbers).
_BOOK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local min_interval, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = now
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if last >= 0 and last + min_interval > start then start = last + min_interval end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[2])
if limit > 0 and count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[2], count - limit, count - limit, 'WITHSCORES')
  local free_at = tonumber(oldest[2]) + window
  if free_at > start then start = free_at end
end
redis.call('SET', KEYS[1], tostring(start), 'EX', math.ceil(min_interval + window))
redis.call('ZADD', KEYS[2], start, ARGV[4])
redis.call('EXPIRE', KEYS[2], math.ceil(window * 2))
return tostring(start - now)
"""


class RedisGovernor(ewelink.Governor):
    """`ewelink.Governor` whose slots are shared by every process using the same Redis."""

    def __init__(self, url: str, prefix: str = "dash:governor", **options: float) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.url = url
        self.prefix = prefix

    async def acquire(self, interface: str) -> None:
        """Book the next deployment-wide slot for `interface` and sleep until it."""
        if not self.enabled:
            self.reserve(interface)  # counts the call
            return
        try:
            delay = await self._book(interface)
        except RedisError:
            # Without Redis, pace this process alone rather than not at all.
            await super().acquire(interface)
            return
        self.reserve_counted(interface, delay)
        if delay > 0:
            await self._sleep(delay)

    async def _book(self, interface: str) -> float:
        keys = [f"{self.prefix}:last:{interface}", f"{self.prefix}:window"]
        args = [self.min_interval, self.window, self.window_limit, uuid.uuid4().hex]
        # A connection per booking: calls are paced anyway, and sync callers run each
        # request in a fresh event loop that a pooled connection must not outlive.
        async with aioredis.Redis.from_url(self.url, socket_connect_timeout=2) as redis:
            return float(await redis.eval(_BOOK, 2, *keys, *args))

    def reserve_counted(self, interface: str, delay: float) -> None:
        """Keep this process's counters (for the admin) in step with the shared booking."""
        self._stats.calls[interface] += 1
        if delay > 0:
            self._stats.waits[interface] += 1
            self._stats.waited_seconds += delay


def shared_governor(url: str) -> RedisGovernor:
    """The deployment-wide governor with the documented limits."""
    return RedisGovernor(url, min_interval=MIN_INTERVAL, window=WINDOW, window_limit=WINDOW_LIMIT)
