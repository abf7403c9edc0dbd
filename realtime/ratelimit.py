"""Token buckets for page controls, per user and per household, kept in Redis.

In Redis so the limits hold across Daphne processes, and on Redis's clock so processes
with drifting clocks agree. A control takes one token from each bucket, or from none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from realtime import redis as keys

log = logging.getLogger(__name__)

# KEYS: the buckets; ARGV: capacity, rate (tokens/s) per bucket, in KEYS order.
# Returns 0 when a token was taken from every bucket, else the seconds until one could be.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local levels, wait = {}, 0
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local stored = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(stored[1]) or capacity
  local at = tonumber(stored[2]) or now
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
  levels[i] = tokens
  if tokens < 1 then wait = math.max(wait, (1 - tokens) / rate) end
end
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local tokens = levels[i]
  if wait == 0 then tokens = tokens - 1 end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil(capacity / rate) + 1)
end
return tostring(wait)
"""


@dataclass(frozen=True)
class Bucket:
    capacity: float
    rate: float  # tokens per second


def user_bucket() -> Bucket:
    return Bucket(settings.CONTROL_LIMIT_USER_BURST, settings.CONTROL_LIMIT_USER_RATE)


def household_bucket() -> Bucket:
    return Bucket(settings.CONTROL_LIMIT_HOUSEHOLD_BURST, settings.CONTROL_LIMIT_HOUSEHOLD_RATE)


async def take_control_token(user_id: int, household_id: int) -> float:
    """0 if the control may go now, else how many seconds until it could."""
    buckets = {
        f"{keys.PREFIX}:controls:user:{user_id}": user_bucket(),
        f"{keys.PREFIX}:controls:household:{household_id}": household_bucket(),
    }
    args: list[float] = []
    for bucket in buckets.values():
        args += [bucket.capacity, max(bucket.rate, 1e-6)]
    try:
        return float(await keys.client().eval(_TAKE, len(buckets), *buckets, *args))
    except RedisError:
        # Without Redis there are no live controls worth protecting; do not add a failure.
        log.warning("control rate limit unavailable (Redis)", exc_info=True)
        return 0.0
