"""Celery tasks for homes and things: firmware checks, history and messages, full sync.

The four per-account jobs are registered with the jobs app (`jobs.base.account_job`: the
account's lock, household scope, bookkeeping and retries); beat runs them for every active
account through `jobs.tasks.fan_out`. Each body only calls the service that does the work.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from accounts import syncing
from accounts.models import JobKind
from devices.batch_control import run_batch
from devices.firmware import check_account_firmware
from devices.firmware_upgrade import end_if_stalled
from devices.history import sync_account_history
from devices.messages import sync_account_messages
from devices.sync import reconcile_one
from jobs.base import account_job


@account_job(JobKind.CHECK_FIRMWARE)
def check_firmware_for_account(account_id: int) -> dict[str, Any]:
    """Ask the cloud about newer firmware for one account's devices."""
    return check_account_firmware(account_id)


@account_job(JobKind.SYNC_HISTORY)
def sync_history_for_account(account_id: int) -> dict[str, Any]:
    """Fetch one account's new device history and apply retention."""
    return sync_account_history(account_id)


@account_job(JobKind.SYNC_MESSAGES)
def sync_messages_for_account(account_id: int) -> dict[str, Any]:
    """Fetch one account's new message-centre messages."""
    return sync_account_messages(account_id)


# Its last attempt, however it ends, lowers the account's "syncing" flag (raised by a Resync
# or a new link, accounts/syncing.py); an attempt with a retry to come leaves it up.
@account_job(JobKind.RECONCILE, when_over=syncing.sync_ended)
def reconcile_account(account_id: int) -> dict[str, Any]:
    """Full sync of one account's homes, rooms and things."""
    return reconcile_one(account_id)


@shared_task(ignore_result=True)
def end_stalled_upgrade(upgrade_id: int) -> bool:
    """An upgrade's timeout: still in progress means it failed (a finished one is left)."""
    return end_if_stalled(upgrade_id) is not None


@shared_task(ignore_result=True)
def switch_batch(membership_id: int, thing_ids: list[int], on: bool, where: str) -> int:
    """All on / All off, off the request (devices.batch_control.run_batch); how many took it."""
    return len(run_batch(membership_id, thing_ids, on, where).done)
