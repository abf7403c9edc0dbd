"""The one lock of a linked account: every job of the account takes it before it talks to the cloud.

Two jobs at once for one account would share its session and its call budget, and two syncs
would race on the same rows. The lock is a Redis lease that expires by itself, so a worker that
dies holding it blocks the account for `JOBS_ACCOUNT_LOCK_SECONDS` at most.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

# Compare-and-delete: a run whose lock expired must not release the next holder's lock.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


@dataclass
class AccountLock:
    """A Redis lease on one account; the value names the job holding it."""

    account_id: int
    job: str
    ttl: int
    token: str = ""

    @property
    def key(self) -> str:
        return f"{settings.JOBS_KEY_PREFIX}:account:{self.account_id}"

    def acquire(self) -> bool:
        """Take the lock if free; it expires by itself if the worker dies holding it."""
        self.token = f"{self.job}:{secrets.token_hex(8)}"
        return bool(_redis(settings.REDIS_URL).set(self.key, self.token, nx=True, ex=self.ttl))

    def holder(self) -> str:
        """The job that holds the lock now ("" when free)."""
        value = _redis(settings.REDIS_URL).get(self.key)
        return bytes(value).decode().split(":", 1)[0] if value else ""  # type: ignore[arg-type]

    def release(self) -> None:
        if self.token:
            _redis(settings.REDIS_URL).eval(_RELEASE, 1, self.key, self.token)
            self.token = ""


def account_lock(account_id: int, job: str) -> AccountLock:
    """The one lock of an account, taken on behalf of `job`."""
    return AccountLock(account_id, job, settings.JOBS_ACCOUNT_LOCK_SECONDS)
