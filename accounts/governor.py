"""Cloud etiquette across processes: one call governor for the whole deployment, in Redis.

The cloud counts calls per egress IP (notes §1.8: ≥ 500 ms between calls to one interface,
≤ 300 calls per 5 minutes), and every process of a deployment — web, Celery workers, the
realtime workers — leaves through the same IP. `ewelink.Governor` paces one process; this
subclass books the slots in Redis, atomically and on Redis's clock, so together the
processes keep the pace one process would. Calls that name their account share the budget
fairly across processes too (the same rule as `ewelink.Governor.claim`, in one script).
"""

from __future__ import annotations

import uuid

import redis
from redis.exceptions import RedisError

import ewelink
from dashboard.loop_redis import loop_client
from ewelink.governor import (
    KEY_WINDOW_LIMIT,
    MIN_INTERVAL,
    NOW_TOLERANCE,
    WAITER_GRACE,
    WINDOW,
    WINDOW_LIMIT,
)
from ewelink.telemetry import report_paced, report_refused

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

# KEYS: last slot of the interface, the window, the account's window, the interface's
# waiting accounts (sorted set: account by when it is due to ask again), its accounts' last
# slots, and its waiting accounts again (sorted set: account by its last slot, its rank).
# ARGV: min_interval, window, limit, key_limit, member, account, grace, tolerance.
# Returns {1, delay before the slot} when booked, {0, seconds before asking again} (with a
# third element 'share' when the account has used its share of the window).
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local min_interval, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limit, key_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local member, key = ARGV[5], ARGV[6]
local grace, tolerance = tonumber(ARGV[7]), tonumber(ARGV[8])
local ttl = math.ceil(min_interval + window * 2 + grace)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
if key_limit > 0 then
  local mine = redis.call('ZCARD', KEYS[3])
  if mine >= key_limit then
    local oldest = redis.call('ZRANGE', KEYS[3], mine - key_limit, mine - key_limit, 'WITHSCORES')
    return {0, tostring(tonumber(oldest[2]) + window - now), 'share'}
  end
end
local start = now
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if last >= 0 and last + min_interval > start then start = last + min_interval end
local count = redis.call('ZCARD', KEYS[2])
if limit > 0 and count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[2], count - limit, count - limit, 'WITHSCORES')
  local free_at = tonumber(oldest[2]) + window
  if free_at > start then start = free_at end
end
local my_served = tonumber(redis.call('HGET', KEYS[5], key) or '0')
-- Waiters that gave up leave both sets; the rest are ranked by the share they were served,
-- then by key (the sorted set's own order), in O(log n): a starting worker's thousands of
-- heals all wait here at once.
local cutoff = '(' .. tostring(now - grace)
for _, other in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', cutoff)) do
  redis.call('ZREM', KEYS[6], other)
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cutoff)
redis.call('ZADD', KEYS[6], my_served, key)
local ahead = redis.call('ZRANK', KEYS[6], key)
if start - now <= tolerance and ahead == 0 then
  redis.call('SET', KEYS[1], tostring(start), 'EX', ttl)
  redis.call('ZADD', KEYS[2], start, member)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('ZADD', KEYS[3], start, member)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('HSET', KEYS[5], key, tostring(start))
  redis.call('EXPIRE', KEYS[5], ttl)
  redis.call('ZREM', KEYS[4], key)
  redis.call('ZREM', KEYS[6], key)
  return {1, tostring(math.max(start - now, 0))}
end
local retry = math.max(start - now, 0) + ahead * min_interval
redis.call('ZADD', KEYS[4], now + retry, key)
redis.call('EXPIRE', KEYS[4], ttl)
redis.call('EXPIRE', KEYS[6], ttl)
return {0, tostring(math.max(retry, tolerance))}
"""


class RedisGovernor(ewelink.Governor):
    """`ewelink.Governor` whose slots are shared by every process using the same Redis."""

    def __init__(self, url: str, prefix: str = "dash:governor", **options: float) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.url = url
        self.prefix = prefix

    async def acquire(self, interface: str, key: str | None = None) -> None:
        """Book the next deployment-wide slot for `interface` and sleep until it."""
        if key is not None and self.enabled:
            await super().acquire(interface, key)  # the fair path, through `claim`
            return
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

    async def claim(self, interface: str, key: str) -> tuple[bool, float]:
        """`ewelink.Governor.claim` on the deployment-wide state in Redis."""
        keys = [
            f"{self.prefix}:last:{interface}",
            f"{self.prefix}:window",
            f"{self.prefix}:account-window:{key}",
            f"{self.prefix}:waiting-due:{interface}",
            f"{self.prefix}:served:{interface}",
            f"{self.prefix}:waiting-order:{interface}",
        ]
        args = [
            self.min_interval, self.window, self.window_limit, self.key_window_limit,
            uuid.uuid4().hex, key, WAITER_GRACE, NOW_TOLERANCE,
        ]  # fmt: skip
        try:
            redis = loop_client(self.url, socket_connect_timeout=2)
            granted, delay, *why = await redis.eval(_CLAIM, len(keys), *keys, *args)
        except RedisError:
            return await super().claim(interface, key)  # this process alone, still fair
        if why:
            report_refused(interface)
        return bool(granted), float(delay)

    async def _book(self, interface: str) -> float:
        keys = [f"{self.prefix}:last:{interface}", f"{self.prefix}:window"]
        args = [self.min_interval, self.window, self.window_limit, uuid.uuid4().hex]
        # The loop's own client: sync callers run each request in a fresh event loop, whose
        # close closes it (see dashboard.loop_redis).
        redis = loop_client(self.url, socket_connect_timeout=2)
        return float(await redis.eval(_BOOK, 2, *keys, *args))

    def reserve_counted(self, interface: str, delay: float) -> None:
        """Keep this process's counters (for the admin) in step with the shared booking."""
        self._stats.calls[interface] += 1
        if delay > 0:
            self._stats.waits[interface] += 1
            self._stats.waited_seconds += delay
        report_paced(interface, max(delay, 0.0))


def shared_governor(url: str) -> RedisGovernor:
    """The deployment-wide governor with the documented limits."""
    return RedisGovernor(
        url,
        min_interval=MIN_INTERVAL,
        window=WINDOW,
        window_limit=WINDOW_LIMIT,
        key_window_limit=KEY_WINDOW_LIMIT,
    )


def budget_left(governor: ewelink.Governor) -> int | None:
    """Calls still allowed in the current window: deployment-wide for the shared governor
    (read from Redis; None when it does not answer), this process's own otherwise."""
    if not isinstance(governor, RedisGovernor):
        return governor.window_limit - governor.stats().calls_in_window
    try:
        client = redis.Redis.from_url(governor.url, socket_connect_timeout=1, socket_timeout=1)
        with client:
            now = float(client.time()[0])  # type: ignore[index]
            used = int(client.zcount(f"{governor.prefix}:window", now - governor.window, "+inf"))  # type: ignore[arg-type]
    except (RedisError, OSError):
        return None
    return governor.window_limit - used
