"""Celery tasks of accounts that are not per-account jobs (those live in the jobs app)."""

from __future__ import annotations

from celery import shared_task

from accounts import linking


@shared_task(acks_late=True, ignore_result=True)
def purge_unlinked_accounts() -> int:
    """Beat, hourly: delete the data of accounts unlinked longer than UNLINK_GRACE_DAYS ago."""
    return linking.purge_unlinked()
