"""The bookkeeping of account jobs: one `TaskRun` row per account and job says how the last
run went, for the account page, the health board and the admin.

A run ends one of three ways: ok (its result), failed (its error, kept after later successes
so a flapping job stays visible), or skipped (the account was busy with another job, or not
active): a skip is a run for the start-up runs (`never_run`), so a busy account is not queued
again every minute, and it leaves `ok` and the last error of the last real run as they were.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

import ewelink
from accounts.job_runs import runs_of
from accounts.linking import explain
from accounts.models import JobKind, LinkedAccount, LinkStatus, TaskRun

log = logging.getLogger(__name__)

__all__ = ["record_failure", "record_skip", "record_success", "runs_of"]


class AccountBusy(Exception):
    """Another job holds the account's lock; try again later."""

    def __init__(self, account_id: int, holder: str) -> None:
        super().__init__(f"account {account_id} is busy with {holder or 'another job'}")
        self.holder = holder


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


def never_run(jobs: list[str] | None = None) -> list[tuple[str, int]]:
    """(job, account) pairs of active accounts with no run of that job on record yet.

    Any record counts, a skipped run too: the job did start for the account.
    """
    with scopes_disabled():
        done = set(TaskRun.objects.values_list("account_id", "task"))
    return [
        (job, account_id)
        for account_id in active_account_ids()
        for job in (jobs if jobs is not None else JobKind.values)
        if (account_id, job) not in done
    ]


def record_success(account: LinkedAccount, job: str, result: dict[str, Any]) -> TaskRun | None:
    """Remember a successful run (the previous error stays visible with its time)."""
    now = timezone.now()
    return _save(
        account, job, ok=True, skipped=False, result=result, last_run_at=now, last_ok_at=now
    )


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
        skipped=False,
        result=result,
        last_run_at=now,
        last_error=message,
        last_error_at=now,
    )


def record_skip(
    account: LinkedAccount, job: str, why: str, *, retrying: bool = False
) -> TaskRun | None:
    """Remember a run that did nothing (busy, not active); `ok` keeps the last real outcome."""
    log.info("job %s of account %s skipped: %s", job, account.pk, why)
    result = {"skipped": why, "retrying": retrying}
    return _save(account, job, skipped=True, result=result, last_run_at=timezone.now())


def describe(exc: BaseException) -> str:
    """What went wrong, for the account page and the admin (no tokens ever reach it)."""
    if isinstance(exc, ewelink.EWeLinkError):
        return f"{explain(exc)} ({type(exc).__name__}: {exc})"[:500]
    if isinstance(exc, AccountBusy):
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
