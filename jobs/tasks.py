"""Celery tasks of the jobs app: the fan-out beat runs, the start-up runs, and token refresh.

Per job, beat runs `fan_out(job)`, which queues the job's registered task once per active
account, so one account's failure never holds up another's. The token refresh is accounts'
work (`accounts.tokens`), registered here because accounts sits below jobs and never imports it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from accounts.models import JobKind
from accounts.tokens import refresh_if_expiring
from jobs import registry
from jobs.base import account_job
from jobs.runs import active_account_ids, job_expires, never_run

FAN_OUT_TASK: dict[str, Any] = {"acks_late": True, "ignore_result": True}


def queue(job: str, account_id: int, *, expires: float | None = None) -> None:
    """Queue one job for one account (the admin's "run now", a person's Resync).

    Raises kombu's OperationalError when the broker cannot be reached.
    """
    expires = job_expires(job) if expires is None else expires
    registry.task_for(job).apply_async(args=[account_id], expires=expires)


@shared_task(**FAN_OUT_TASK)
def fan_out(job: str) -> int:
    """Beat: queue `job` once per active account; returns how many were queued."""
    task = registry.task_for(job)
    account_ids = active_account_ids()
    for account_id in account_ids:
        task.apply_async(args=[account_id], expires=job_expires(job))
    return len(account_ids)


@shared_task(**FAN_OUT_TASK)
def start_new_accounts() -> int:
    """Beat, every minute: a job an account has never run starts now, not an interval later.

    So a newly linked account shows its firmware, history and messages within a minute
    (a firmware check is otherwise twelve hours away). A skipped run counts as a run.
    """
    pairs = never_run(list(registry.registered()))
    for job, account_id in pairs:
        # Dropped if still queued at the next tick, which queues it again.
        queue(job, account_id, expires=settings.FIRST_RUN_EXPIRES)
    return len(pairs)


@account_job(JobKind.REFRESH_TOKENS)
def refresh_tokens_for_account(account_id: int) -> dict[str, Any]:
    """Refresh one account's tokens if they expire soon; a rejected `rt` means relink."""
    return refresh_if_expiring(account_id)
