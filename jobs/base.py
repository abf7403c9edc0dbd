"""The account task: what every per-account job shares, as pretix's `EventTask` does for events.

A job is a plain function `body(account_id) -> result` in the app that owns the work; the
`account_job` decorator makes it a Celery task on `AccountTask` and registers it. A run then:

1. loads the account: gone → nothing to do; not active (needs relink, disabled, unlinked) →
   recorded as skipped;
2. enters the account's household scope, so a scoped query in the body sees that household only;
3. takes the account's lock: the same job already running → nothing to do; another job
   holding it → recorded as skipped and retried a bounded number of times;
4. runs the body and records the outcome (`jobs.runs`); network trouble, 5xx and rate limits
   are retried with jittered exponential backoff; a session the cloud rejects marks the
   account "needs relink" (and tells the household) instead of retrying;
5. once its last attempt is over, however it went, calls the job's `when_over` (the full
   sync lowers the account's "syncing" flag there).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django_scopes import scope, scopes_disabled

import ewelink
from accounts import log_context, notifications
from accounts.linking import explain, mark_needs_relink
from accounts.models import JobKind, LinkedAccount, LinkStatus
from jobs import registry
from jobs.locks import account_lock
from jobs.metrics import JOB_DURATION, JOB_RUNS
from jobs.runs import AccountBusy, record_failure, record_skip, record_success

log = logging.getLogger(__name__)

JobBody = Callable[[int], dict[str, Any]]

# Network trouble, 5xx and rate limits are worth retrying; anything else would fail the same way.
RETRYABLE = (
    ewelink.NetworkError,
    ewelink.ServerError,
    ewelink.RateLimitedError,
    ewelink.DeviceTimeoutError,
)
# A run that finds another job holding the account tries again after this long.
BUSY_RETRY_SECONDS = (20.0, 90.0)

# The account the current run works for (set by `AccountTask.__call__`, read by `run_job`).
_account: ContextVar[LinkedAccount] = ContextVar("account")


class AccountTask(Task):  # type: ignore[misc]  # celery ships no type hints
    """Base of every per-account job; `job` names it, `when_over` runs after its last attempt."""

    job: str = ""
    when_over: Callable[[int], None] | None = None
    acks_late = True
    ignore_result = True
    autoretry_for = RETRYABLE
    retry_backoff = settings.JOBS_RETRY_BACKOFF_SECONDS
    # Retries keep the run's `expires`: one due after it is dropped, and the next run takes over.
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = settings.JOBS_MAX_RETRIES

    def __call__(self, account_id: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with scopes_disabled():
            account = LinkedAccount.objects.filter(pk=account_id).first()
        if account is None:  # deleted since it was queued: no row left to record on
            log.info("job %s skipped: account %s is gone", self.job, account_id)
            return {"skipped": "account is gone"}
        if account.status != LinkStatus.ACTIVE:
            why = f"account {account.get_status_display().lower()}"
            record_skip(account, self.job, why)
            JOB_RUNS.labels(self.job, "skipped").inc()
            self._over(account_id)
            return {"skipped": why}
        token = _account.set(account)
        try:
            with (
                log_context.bound(household=account.household_id, account=account.pk),
                scope(household=account.household_id),
            ):
                # `run`, not super().__call__: that pushes a fresh request (retries 0) over the
                # one the tracer pushed, and eager retries would never stop.
                result: dict[str, Any] = self.run(account_id, *args, **kwargs)
        except BaseException as exc:
            if not self.will_retry(exc):
                self._over(account_id)
            raise
        finally:
            _account.reset(token)
        self._over(account_id)
        return result

    def run_job(self, body: JobBody) -> dict[str, Any]:
        """Run `body` for the current account under its lock, and record how it went."""
        account = _account.get()
        retries = self.request.retries or 0
        final = self.max_retries is not None and retries >= self.max_retries
        lock = account_lock(account.pk, self.job)
        if not lock.acquire():
            JOB_RUNS.labels(self.job, "skipped").inc()
            return self._busy(account, lock.holder(), final=final)
        started = time.perf_counter()
        try:
            result = body(account.pk)
        except ewelink.AuthError as exc:
            self._count("needs_relink", started)
            record_failure(account, self.job, exc, attempt=retries + 1, final=True)
            _needs_relink(account, exc)
            return {"needs_relink": True}
        except Exception as exc:
            retrying = not final and isinstance(exc, RETRYABLE)
            self._count("retrying" if retrying else "failed", started)
            record_failure(account, self.job, exc, attempt=retries + 1, final=final)
            raise
        finally:
            lock.release()
        self._count("ok", started)
        record_success(account, self.job, result)
        return result

    def _count(self, outcome: str, started: float) -> None:
        JOB_RUNS.labels(self.job, outcome).inc()
        JOB_DURATION.labels(self.job).observe(time.perf_counter() - started)

    def will_retry(self, exc: BaseException) -> bool:
        """Whether Celery runs this task again after it raised `exc` (the job is not over)."""
        if isinstance(exc, Retry):
            return True
        retries, limit = self.request.retries or 0, self.max_retries
        return isinstance(exc, RETRYABLE) and limit is not None and retries < limit

    def _busy(self, account: LinkedAccount, holder: str, *, final: bool) -> dict[str, Any]:
        if holder == self.job:  # that run records its own outcome
            return {"skipped": "already running"}
        busy = AccountBusy(account.pk, holder)
        why = f"busy with {holder or 'another job'}"
        record_skip(account, self.job, why, retrying=not final)
        if final:
            log.info("giving up %s for account %s: %s", self.job, account.pk, busy)
            return {"skipped": why}
        raise self.retry(countdown=random.uniform(*BUSY_RETRY_SECONDS), exc=busy)

    def _over(self, account_id: int) -> None:
        if self.when_over is not None:
            self.when_over(account_id)


def account_job(
    job: JobKind, *, when_over: Callable[[int], None] | None = None, **options: Any
) -> Callable[[JobBody], AccountTask]:
    """Make `body(account_id)` the Celery task of `job` (named after the body) and register it."""

    def make(body: JobBody) -> AccountTask:
        def run(self: AccountTask, account_id: int) -> dict[str, Any]:
            return self.run_job(body)

        run.__doc__ = body.__doc__
        task = shared_task(
            base=AccountTask,
            bind=True,
            name=f"{body.__module__}.{body.__name__}",
            job=job.value,
            when_over=staticmethod(when_over) if when_over else None,
            **options,
        )(run)
        registry.register(job.value, task)
        return task  # type: ignore[no-any-return]

    return make


def _needs_relink(account: LinkedAccount, exc: ewelink.AuthError) -> None:
    """The cloud no longer accepts this account's session: stop using it and say so."""
    log.warning("account %s: session rejected during a job (%s)", account.pk, exc)
    if mark_needs_relink(account.pk, explain(exc), tokens_from=account.tokens_refreshed_at):
        notifications.account_needs_relink(account.pk)
    # else relinked (new tokens) while the job ran with the old ones
