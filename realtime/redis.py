"""Redis keys the realtime side shares between processes: leases, watchers, liveness."""

from __future__ import annotations

import asyncio
import contextlib
import weakref

import redis.asyncio as aioredis
from django.conf import settings

PREFIX = "dash:realtime"
# Every worker renews this key each round (every poll interval, 2 s by default): when it has
# lapsed, no worker is running and open pages say live updates are unavailable.
HEARTBEAT_KEY = f"{PREFIX}:heartbeat"
HEARTBEAT_TTL = 10  # seconds
# Keyed by the loop object itself: a client must never outlive or cross its event loop.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def client() -> aioredis.Redis:
    """One async Redis client per event loop (Daphne has one; tests make many)."""
    loop = asyncio.get_running_loop()
    redis = _clients.get(loop)
    if redis is None:
        redis = _clients[loop] = aioredis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        _close_with_loop(loop, redis)
    return redis


def _close_with_loop(loop: asyncio.AbstractEventLoop, redis: aioredis.Redis) -> None:
    """Close the client's connections when its loop closes (as channels_redis does for its
    layer): left open, they outlive the loop and the garbage collector warns about their
    sockets at some random later moment, which a test run counts as an error."""
    loop_close = loop.close

    def close() -> None:
        if _clients.pop(loop, None) is not None and not loop.is_closed():
            with contextlib.suppress(Exception):  # closing on the way out: nothing to report
                loop.run_until_complete(redis.aclose())
        loop_close()

    loop.close = close  # type: ignore[method-assign]


def lease_key(account_id: int) -> str:
    return f"{PREFIX}:lease:{account_id}"


def watch_key(household_id: int) -> str:
    return f"{PREFIX}:watch:{household_id}"


def predecessor_key(host: str, index: int, count: int) -> str:
    """The last worker of shard index/count started on `host`: its pid and channel."""
    return f"{PREFIX}:shard:{index}/{count}:{host}"


def alive_key(worker: str) -> str:
    return f"{PREFIX}:alive:{worker}"
