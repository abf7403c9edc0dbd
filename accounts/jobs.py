"""Running a background job for one linked account: the account's lock and the bookkeeping.

Every job of an account (token refresh, firmware check, history and message sync, full sync)
takes the same Redis lock, so two jobs never talk to the cloud for one account at once: they
would share its session and its call budget, and two syncs would race on the same rows. The
outcome of each run lands in `TaskRun` (one row per account and job) for the account page and
the admin.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

import ewelink
from accounts import notifications
from accounts.linking import explain, mark_needs_relink
from accounts.models import JobKind, LinkedAccount, LinkStatus, TaskRun
from accounts.tokens import refresh_account_tokens

log = logging.getLogger(__name__)

JobBody = Callable[[int], dict[str, Any]]

# Compare-and-delete: a run whose lock expired must not release the next holder's lock.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class NeedsRelink(Exception):
    """The account's sign-in is lost (already marked); retrying cannot help."""


class AccountBusy(Exception):
    """Another job holds the account's lock; try again later."""

    def __init__(self, account_id: int, holder: str) -> None:
        super().__init__(f"account {account_id} is busy with {holder or 'another job'}")
        self.holder = holder


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


def job_expires(job: str) -> float:
    """Seconds after which a queued run of `job` is dropped (below the job's interval)."""
    return float(settings.JOB_EXPIRES[job])


def active_account_ids() -> list[int]:
    """Accounts the periodic jobs work for (needs-relink and disabled ones are left alone)."""
    with scopes_disabled():
        return list(
            LinkedAccount.objects.filter(status=LinkStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def never_run() -> list[tuple[str, int]]:
    """(job, account) pairs of active accounts with no run of that job on record yet."""
    with scopes_disabled():
        done = set(TaskRun.objects.values_list("account_id", "task"))
    return [
        (job, account_id)
        for account_id in active_account_ids()
        for job in JobKind.values
        if (account_id, job) not in done
    ]


def run_job(
    job: JobKind, account_id: int, body: JobBody, *, attempt: int = 1, final: bool = True
) -> dict[str, Any]:
    """Run `body(account_id)` under the account's lock and record how it went.

    Returns the body's result, or `{"skipped": why}` when there was nothing to do (account
    gone or not active, or the same job already running). Raises `AccountBusy` when another
    job holds the lock, and re-raises the body's errors after recording them, so the caller
    (a task) decides about retries. A rejected session marks the account "needs relink".
    """
    account = _active_account(account_id)
    if account is None:
        return {"skipped": "account is not active"}
    lock = account_lock(account_id, job)
    if not lock.acquire():
        holder = lock.holder()
        if holder == job:
            return {"skipped": "already running"}
        raise AccountBusy(account_id, holder)
    try:
        result = body(account_id)
    except (ewelink.AuthError, NeedsRelink) as exc:
        record_failure(account, job, exc, attempt=attempt, final=True)
        _needs_relink(account, exc)
        return {"needs_relink": True}
    except Exception as exc:
        record_failure(account, job, exc, attempt=attempt, final=final)
        raise
    finally:
        lock.release()
    record_success(account, job, result)
    return result


def _active_account(account_id: int) -> LinkedAccount | None:
    with scopes_disabled():
        account = LinkedAccount.objects.filter(pk=account_id).first()
    if account is None or account.status != LinkStatus.ACTIVE:
        return None
    return account


def _needs_relink(account: LinkedAccount, exc: Exception) -> None:
    """The cloud no longer accepts this account's session: stop using it and say so."""
    log.warning("account %s: session rejected during a job (%s)", account.pk, exc)
    if isinstance(exc, ewelink.AuthError):
        tokens_from = account.tokens_refreshed_at
        if not mark_needs_relink(account.pk, explain(exc), tokens_from=tokens_from):
            return  # relinked (new tokens) while the job ran with the old ones
    notifications.account_needs_relink(account.pk)


def refresh_if_expiring(account_id: int) -> dict[str, Any]:
    """Refresh the tokens when `at` expires within TOKEN_REFRESH_AHEAD (well before it does)."""
    ahead = settings.TOKEN_REFRESH_AHEAD.total_seconds()
    refreshed = refresh_account_tokens(account_id, only_if_expiring_within=ahead)
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    if account.status == LinkStatus.NEEDS_RELINK:  # the cloud rejected the refresh token
        raise NeedsRelink(account.last_error)
    expires = account.access_expires_at
    return {"refreshed": refreshed, "access_expires_at": expires.isoformat() if expires else None}


def record_success(account: LinkedAccount, job: str, result: dict[str, Any]) -> TaskRun | None:
    """Remember a successful run (the previous error stays visible with its time)."""
    now = timezone.now()
    return _save(account, job, ok=True, result=result, last_run_at=now, last_ok_at=now)


def record_failure(
    account: LinkedAccount, job: str, exc: BaseException, *, attempt: int, final: bool
) -> TaskRun | None:
    """Remember a failed attempt; `final` says whether a retry is still coming."""
    now = timezone.now()
    message = describe(exc)
    log.warning("job %s of account %s failed (attempt %s): %s", job, account.pk, attempt, message)
    result = {"error": type(exc).__name__, "attempt": attempt, "retrying": not final}
    return _save(
        account,
        job,
        ok=False,
        result=result,
        last_run_at=now,
        last_error=message,
        last_error_at=now,
    )


def describe(exc: BaseException) -> str:
    """What went wrong, for the account page and the admin (no tokens ever reach it)."""
    if isinstance(exc, ewelink.EWeLinkError):
        return f"{explain(exc)} ({type(exc).__name__}: {exc})"[:500]
    if isinstance(exc, NeedsRelink | AccountBusy):
        return str(exc)[:500]
    return f"Internal error ({type(exc).__name__})."


def _save(account: LinkedAccount, job: str, **values: Any) -> TaskRun | None:
    with scopes_disabled():
        if not LinkedAccount.objects.filter(pk=account.pk).exists():
            return None  # unlinked while the job ran: nothing left to report on
        run, _ = TaskRun.objects.update_or_create(
            account=account, task=job, defaults={"household_id": account.household_id, **values}
        )
    return run


def runs_of(account_id: int) -> dict[str, TaskRun]:
    """The latest run of each job of an account, by job name."""
    with scopes_disabled():
        return {run.task: run for run in TaskRun.objects.filter(account_id=account_id)}
