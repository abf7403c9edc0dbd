"""A full sync asked for by a person ("Resync", or the first load after linking), in the
background.

`request_sync` marks the account `syncing`, tells the household's open pages (they show
"Syncing …") and asks the jobs app, by the `job_requested` signal, to queue the reconcile job;
the pages fill in as the sync lands (structure events). The job calls `sync_ended` when its
last attempt is over, however it went (its `when_over`), which clears the flag and tells the
pages. A flag whose sync never ended (a worker killed, the queued task expired unread) counts
as stale after `STALE_AFTER`: it no longer blocks a new request, and a page that draws the
account clears it.

Stale is judged by `sync_requested_at`, the time of the request: a queued task is dropped after
`QUEUE_EXPIRES` (its retries too), so a sync still running well after that has been lost.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import kombu.exceptions
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import JobKind, LinkedAccount, LinkStatus
from accounts.signals import household_event, job_requested

if TYPE_CHECKING:  # the page protocol's types only: accounts never imports realtime
    from realtime.events import AccountEvent, AccountStatus, ConnectionName

log = logging.getLogger(__name__)

# A requested sync still queued after this is dropped: a click is worth acting on soon or not.
QUEUE_EXPIRES = timedelta(minutes=10)
# Queued up to QUEUE_EXPIRES, then a run with its retries: a flag older than this was lost.
STALE_AFTER = timedelta(minutes=15)


class SyncRequest(enum.Enum):
    QUEUED = "queued"
    ALREADY = "already"  # one is queued or running: a second click queues nothing
    NOT_ACTIVE = "not_active"  # needs relinking, disabled or unlinked: a sync cannot run
    UNAVAILABLE = "unavailable"  # the broker cannot be reached


def request_sync(account: LinkedAccount) -> SyncRequest:
    """Queue a full sync of `account` unless one is already queued or running."""
    if account.status != LinkStatus.ACTIVE:
        return SyncRequest.NOT_ACTIVE
    now = timezone.now()
    with scopes_disabled():
        # One conditional UPDATE: of two clicks at once, only one finds the flag down.
        claimed = (
            LinkedAccount.objects.filter(pk=account.pk, status=LinkStatus.ACTIVE)
            .filter(Q(syncing=False) | _stale_q(now))
            .update(syncing=True, sync_requested_at=now)
        )
    if not claimed:
        return SyncRequest.ALREADY
    account.syncing, account.sync_requested_at = True, now
    _announce(account.pk)
    outcome = [SyncRequest.QUEUED]

    def enqueue() -> None:
        # After commit: the worker must find the account (and the flag) as this request left it.
        try:
            queued = job_requested.send(
                sender=LinkedAccount,
                account_id=account.pk,
                job=JobKind.RECONCILE.value,
                expires=QUEUE_EXPIRES.total_seconds(),
            )
            if not queued:  # the jobs app is not installed: nothing would ever run it
                raise kombu.exceptions.OperationalError("no receiver queues jobs")
        except kombu.exceptions.OperationalError as exc:
            log.warning("could not queue the sync of account %s: %s", account.pk, exc)
            outcome[0] = SyncRequest.UNAVAILABLE
            account.syncing = False
            sync_ended(account.pk)

    transaction.on_commit(enqueue)  # outside a transaction it runs here and now
    return outcome[0]


def sync_ended(account_id: int) -> None:
    """The reconcile job of `account_id` is over (done, failed, skipped or needing a relink):
    the account is no longer syncing. Called by every run, also the periodic ones; pages hear
    of it only if the flag was up."""
    with scopes_disabled():
        cleared = LinkedAccount.objects.filter(pk=account_id, syncing=True).update(syncing=False)
    if cleared:
        _announce(account_id)


def clear_stale(accounts: Iterable[LinkedAccount]) -> None:
    """Lower the flags of accounts whose sync was lost (see `STALE_AFTER`), in the rows and in
    these objects. For views that draw accounts: no query unless a flag is stale."""
    now = timezone.now()
    for account in accounts:
        if not (account.syncing and is_stale(account, now)):
            continue
        log.info("account %s: sync asked at %s never ended", account.pk, account.sync_requested_at)
        with scopes_disabled():
            # Only if nobody asked again since this object was read.
            LinkedAccount.objects.filter(
                pk=account.pk, syncing=True, sync_requested_at=account.sync_requested_at
            ).update(syncing=False)
        account.syncing = False
        _announce(account.pk)


def is_stale(account: LinkedAccount, now: datetime | None = None) -> bool:
    requested = account.sync_requested_at
    return requested is None or requested < (now or timezone.now()) - STALE_AFTER


def _stale_q(now: datetime) -> Q:
    return Q(sync_requested_at__isnull=True) | Q(sync_requested_at__lt=now - STALE_AFTER)


def _announce(account_id: int) -> None:
    """The account event (realtime/events.py AccountEvent) to the household's open pages."""
    with scopes_disabled():
        account = LinkedAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    payload: AccountEvent = {
        "type": "account",
        "id": account.pk,
        "connection": cast("ConnectionName", account.connection_state),
        "status": cast("AccountStatus", account.status),
        "syncing": account.syncing,
    }
    # realtime relays it to the pages once the transaction commits (accounts never imports it).
    household_event.send(sender=LinkedAccount, household_id=account.household_id, payload=payload)
