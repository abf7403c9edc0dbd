"""Exactly one beat schedule in effect, however many `celery beat` processes run.

Each beat holds (or waits for) one lease in Redis. Only the holder sends due tasks; it
renews the lease every few seconds, so when it dies a standby beat takes over within
`LEASE_SECONDS`. Use it with `CELERY_BEAT_SCHEDULER = "dashboard.beat:SingleBeatScheduler"`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
from typing import Any

import redis
from celery.beat import PersistentScheduler, Scheduler
from django.conf import settings

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
RENEW_EVERY = LEASE_SECONDS / 3

# Take the lease if free, renew it if ours; 1 = we hold it.
_HOLD = """
local holder = redis.call('get', KEYS[1])
if not holder then
  redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('expire', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class BeatLease:
    """A renewable Redis lease naming the one beat whose schedule is in effect."""

    def __init__(self, url: str, key: str, ttl: int = LEASE_SECONDS) -> None:
        self.redis = redis.Redis.from_url(url)
        self.key = key
        self.ttl = ttl
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    def hold(self) -> bool:
        """Take or renew the lease; False while another beat holds it or Redis is away."""
        try:
            return bool(self.redis.eval(_HOLD, 1, self.key, self.holder_id, str(self.ttl)))
        except redis.RedisError as exc:
            # Without Redis we cannot know who leads: sending nothing is the safe side.
            log.warning("beat: cannot reach Redis for the lease (%s); not scheduling", exc)
            return False

    def release(self) -> None:
        with contextlib.suppress(redis.RedisError):  # else the lease expires by itself
            self.redis.eval(_RELEASE, 1, self.key, self.holder_id)


def lease_key() -> str:
    return f"{settings.JOBS_KEY_PREFIX}:beat-leader"


class SingleBeatMixin(Scheduler):  # type: ignore[misc]  # celery ships no type hints
    """Ticks the schedule only while holding the beat lease."""

    lease: BeatLease

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lease = BeatLease(settings.REDIS_URL, lease_key())
        self.leading: bool | None = None  # unknown until the first tick, which logs it
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        leading = self.lease.hold()
        if leading != self.leading:
            state = "leading: this beat's" if leading else "standby: another beat's"
            log.warning("beat: %s schedule is in effect", state)
            self.leading = leading
        if not leading:
            return RENEW_EVERY
        return min(float(super().tick(*args, **kwargs)), RENEW_EVERY)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.leading:
                self.lease.release()
                self.leading = False


class SingleBeatScheduler(SingleBeatMixin, PersistentScheduler):  # type: ignore[misc]
    """The persistent (shelve file) scheduler, single across the deployment."""
