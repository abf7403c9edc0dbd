"""Redis keys the realtime side shares between processes: leases, watchers, liveness."""

from __future__ import annotations

import redis.asyncio as aioredis
from django.conf import settings

from dashboard.loop_redis import loop_client

PREFIX = "dash:realtime"
# Every worker renews this key each round (every poll interval, 2 s by default): when it has
# lapsed, no worker is running and open pages say live updates are unavailable.
HEARTBEAT_KEY = f"{PREFIX}:heartbeat"
HEARTBEAT_TTL = 10  # seconds


def client() -> aioredis.Redis:
    """One async Redis client per event loop (Daphne has one; tests make many)."""
    return loop_client(settings.REDIS_URL, decode_responses=True)


def lease_key(account_id: int) -> str:
    return f"{PREFIX}:lease:{account_id}"


def watch_key(household_id: int) -> str:
    return f"{PREFIX}:watch:{household_id}"


def predecessor_key(host: str, index: int, count: int) -> str:
    """The last worker of shard index/count started on `host`: its pid and channel."""
    return f"{PREFIX}:shard:{index}/{count}:{host}"


def alive_key(worker: str) -> str:
    return f"{PREFIX}:alive:{worker}"
