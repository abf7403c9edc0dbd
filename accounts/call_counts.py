"""How many calls each linked account made to the eWeLink cloud, and how many it refused.

Every REST call of an account leaves through a client built by `accounts.cloud.make_client`,
in whichever process (web, Celery, the realtime worker); its `on_call` observer lands here.
Counts live in Redis in hourly buckets (INCR + EXPIRE, one pipelined round trip per call) so
all processes add to the same numbers and old hours expire by themselves. "The last 24 h" is
the current hour and the 23 before it.

Counting must never cost a call: a Redis that is down or slow is logged at debug level and
the call goes on; the health board then says the counts are unknown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from redis.exceptions import RedisError

from dashboard.loop_redis import loop_client

log = logging.getLogger(__name__)

HOURS = 24
BUCKET_TTL = (HOURS + 1) * 3600  # an hour's bucket outlives the day it is read in
TIMEOUT = 0.5  # seconds: a call waits no longer than this for its count


@dataclass(frozen=True)
class CallCounts:
    """Calls of one account in the last 24 h."""

    made: int
    refused: int


def _prefix() -> str:
    # Apart per deployment, like the Channels groups and the job locks.
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    return f"{layer['CONFIG']['prefix']}:calls"


def _hour(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 3600)


def _key(account_id: int, hour: int, what: str) -> str:
    return f"{_prefix()}:{account_id}:{hour}:{what}"


async def record_call(account_id: int, refused: bool, *, now: float | None = None) -> None:
    """Count one call of `account_id` (and its refusal) in the current hour's bucket."""
    hour = _hour(now)
    try:
        # The loop's own client: sync callers run each request in a fresh event loop, whose
        # close closes it (see dashboard.loop_redis).
        client = loop_client(
            settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        async with client.pipeline(transaction=False) as pipe:
            for what in ("made", "refused") if refused else ("made",):
                key = _key(account_id, hour, what)
                pipe.incr(key)
                pipe.expire(key, BUCKET_TTL)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.debug("call of account %s not counted: %s", account_id, exc)


def calls_last_day(
    account_ids: Iterable[int], *, now: float | None = None
) -> dict[int, CallCounts] | None:
    """Counts per account over the last 24 h in one round trip; None when Redis is down."""
    ids = list(account_ids)
    if not ids:
        return {}
    last = _hour(now)
    keys = [
        _key(account_id, hour, what)
        for account_id in ids
        for what in ("made", "refused")
        for hour in range(last - HOURS + 1, last + 1)
    ]
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        with client:
            values = client.mget(keys)
    except (RedisError, OSError) as exc:
        log.debug("call counts unavailable: %s", exc)
        return None
    numbers = [int(v) if v else 0 for v in values]  # type: ignore[union-attr]
    counts = {}
    for index, account_id in enumerate(ids):
        start = index * 2 * HOURS
        made = sum(numbers[start : start + HOURS])
        refused = sum(numbers[start + HOURS : start + 2 * HOURS])
        counts[account_id] = CallCounts(made=made, refused=refused)
    return counts
