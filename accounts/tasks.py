"""Celery tasks for linked accounts: thin, they take ids and call services.

Per kind of job there is a fan-out task (what beat runs) that enqueues one task per active
account, so one account's failure never holds up another's. `run_account_job` is the shared
edge every per-account task goes through: the account lock, bookkeeping and retries.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils.module_loading import import_string

import ewelink
from accounts import jobs, linking
from accounts.models import JobKind

log = logging.getLogger(__name__)

# Network trouble and 5xx are worth retrying; anything else would fail the same way again.
RETRYABLE = (
    ewelink.NetworkError,
    ewelink.ServerError,
    ewelink.RateLimitedError,
    ewelink.DeviceTimeoutError,
)
ACCOUNT_TASK: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": settings.JOBS_RETRY_BACKOFF_SECONDS,
    # Retries keep the run's `expires`: one due after it is dropped, and the next run takes over.
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": settings.JOBS_MAX_RETRIES,
}
FAN_OUT_TASK: dict[str, Any] = {"acks_late": True, "ignore_result": True}
BUSY_RETRY_SECONDS = (20.0, 90.0)
# The per-account task of each job, by import path: accounts does not import devices.
ACCOUNT_TASKS = {
    JobKind.REFRESH_TOKENS: "accounts.tasks.refresh_tokens_for_account",
    JobKind.CHECK_FIRMWARE: "devices.tasks.check_firmware_for_account",
    JobKind.SYNC_HISTORY: "devices.tasks.sync_history_for_account",
    JobKind.SYNC_MESSAGES: "devices.tasks.sync_messages_for_account",
    JobKind.RECONCILE: "devices.tasks.reconcile_account",
}


def run_account_job(
    task: Task, job: JobKind, account_id: int, body: Callable[[int], dict[str, Any]]
) -> dict[str, Any]:
    """Run one job for one account; another job holding the account means "try again soon"."""
    retries = task.request.retries or 0
    final = task.max_retries is not None and retries >= task.max_retries
    try:
        return jobs.run_job(job, account_id, body, attempt=retries + 1, final=final)
    except jobs.AccountBusy as exc:
        if final:
            log.info("giving up %s for account %s: %s", job, account_id, exc)
            return {"skipped": str(exc)}
        raise task.retry(countdown=random.uniform(*BUSY_RETRY_SECONDS)) from exc


def fan_out(task: Task, job: JobKind) -> int:
    """Enqueue `task` once per active account; returns how many were enqueued."""
    account_ids = jobs.active_account_ids()
    for account_id in account_ids:
        task.apply_async(args=[account_id], expires=jobs.job_expires(job))
    return len(account_ids)


def account_task(job: str) -> Task:
    """The Celery task that runs `job` for one account."""
    return import_string(ACCOUNT_TASKS[JobKind(job)])


def run_now(job: str, account_id: int) -> None:
    """Queue one job for one account right away (the admin's "run now")."""
    account_task(job).apply_async(args=[account_id], expires=jobs.job_expires(job))


@shared_task(**FAN_OUT_TASK)
def start_new_accounts() -> int:
    """Beat, every minute: a job an account has never run starts now, not an interval later.

    So a newly linked account shows its firmware, history and messages within a minute
    (a firmware check is otherwise twelve hours away).
    """
    pairs = jobs.never_run()
    for job, account_id in pairs:
        # Dropped if still queued at the next tick, which queues it again.
        account_task(job).apply_async(args=[account_id], expires=settings.FIRST_RUN_EXPIRES)
    return len(pairs)


@shared_task(**ACCOUNT_TASK)
def refresh_tokens_for_account(self: Task, account_id: int) -> dict[str, Any]:
    """Refresh one account's tokens if they expire soon; a rejected `rt` means relink."""
    return run_account_job(self, JobKind.REFRESH_TOKENS, account_id, jobs.refresh_if_expiring)


@shared_task(**FAN_OUT_TASK)
def refresh_expiring_tokens() -> int:
    """Beat: token refresh for every active account."""
    return fan_out(refresh_tokens_for_account, JobKind.REFRESH_TOKENS)


@shared_task(**FAN_OUT_TASK)
def purge_unlinked_accounts() -> int:
    """Beat, hourly: delete the data of accounts unlinked longer than UNLINK_GRACE_DAYS ago."""
    return linking.purge_unlinked()
