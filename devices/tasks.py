"""Celery tasks for homes and things: firmware checks, history and messages, full sync.

Thin like every task: a fan-out per kind (what beat runs) and one task per account that
calls the service through `accounts.tasks.run_account_job` (lock, bookkeeping, retries).
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from accounts import syncing
from accounts.models import JobKind
from accounts.tasks import ACCOUNT_TASK, FAN_OUT_TASK, fan_out, run_account_job
from devices.batch_control import run_batch
from devices.firmware import check_account_firmware
from devices.firmware_upgrade import end_if_stalled
from devices.history import sync_account_history
from devices.messages import sync_account_messages
from devices.sync import reconcile_one


@shared_task(**ACCOUNT_TASK)
def check_firmware_for_account(self: Task, account_id: int) -> dict[str, Any]:
    """Ask the cloud about newer firmware for one account's devices."""
    return run_account_job(self, JobKind.CHECK_FIRMWARE, account_id, check_account_firmware)


@shared_task(**ACCOUNT_TASK)
def sync_history_for_account(self: Task, account_id: int) -> dict[str, Any]:
    """Fetch one account's new device history and apply retention."""
    return run_account_job(self, JobKind.SYNC_HISTORY, account_id, sync_account_history)


@shared_task(**ACCOUNT_TASK)
def sync_messages_for_account(self: Task, account_id: int) -> dict[str, Any]:
    """Fetch one account's new message-centre messages."""
    return run_account_job(self, JobKind.SYNC_MESSAGES, account_id, sync_account_messages)


@shared_task(**ACCOUNT_TASK)
def reconcile_account(self: Task, account_id: int) -> dict[str, Any]:
    """Full sync of one account's homes, rooms and things.

    Its last attempt, however it ends, lowers the account's "syncing" flag (raised by a
    Resync or a new link, accounts/syncing.py); an attempt with a retry to come leaves it up.
    """
    try:
        result = run_account_job(self, JobKind.RECONCILE, account_id, reconcile_one)
    except BaseException as exc:
        if not syncing.will_retry(self, exc):
            syncing.sync_ended(account_id)
        raise
    syncing.sync_ended(account_id)
    return result


@shared_task(**FAN_OUT_TASK)
def check_firmware() -> int:
    """Beat: firmware check for every active account."""
    return fan_out(check_firmware_for_account, JobKind.CHECK_FIRMWARE)


@shared_task(**FAN_OUT_TASK)
def sync_history() -> int:
    """Beat: history sync for every active account."""
    return fan_out(sync_history_for_account, JobKind.SYNC_HISTORY)


@shared_task(**FAN_OUT_TASK)
def sync_messages() -> int:
    """Beat: message sync for every active account."""
    return fan_out(sync_messages_for_account, JobKind.SYNC_MESSAGES)


@shared_task(**FAN_OUT_TASK)
def reconcile_accounts() -> int:
    """Beat: full sync for every active account."""
    return fan_out(reconcile_account, JobKind.RECONCILE)


@shared_task(ignore_result=True)
def end_stalled_upgrade(upgrade_id: int) -> bool:
    """An upgrade's timeout: still in progress means it failed (a finished one is left)."""
    return end_if_stalled(upgrade_id) is not None


@shared_task(ignore_result=True)
def switch_batch(membership_id: int, thing_ids: list[int], on: bool, where: str) -> int:
    """All on / All off, off the request (devices.batch_control.run_batch); how many took it."""
    return len(run_batch(membership_id, thing_ids, on, where).done)
