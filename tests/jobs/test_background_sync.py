"""A person's sync (Resync, the first load after linking) runs in the background: the account
shows "syncing" from the request until the job's last attempt ends, however it ends."""

from __future__ import annotations

from datetime import timedelta

import kombu.exceptions
import pytest
from django.utils import timezone

from accounts import syncing
from accounts.models import JobKind, LinkedAccount, LinkStatus
from accounts.signals import household_event
from accounts.syncing import SyncRequest, request_sync
from devices.models import Thing
from devices.tasks import reconcile_account
from jobs.locks import account_lock
from tests.background import queued_work_runs
from tests.factories import LinkedAccountFactory

from .conftest import calls, quick_clients, task_run

pytestmark = pytest.mark.integration
HOMES = "GET /v2/family"  # a full sync asks for the homes
THING_LIST = "/v2/device/thing"


@pytest.fixture
def published():
    """Events announced to households' pages, in order (what realtime relays to browsers)."""
    sent: list[dict] = []

    def receive(sender, *, household_id: int, payload: dict, **kwargs) -> None:
        sent.append({**payload, "household": household_id})

    household_event.connect(receive)
    yield sent
    household_event.disconnect(receive)


@pytest.fixture
def quick_client(monkeypatch):  # type: ignore[no-untyped-def]
    quick_clients(monkeypatch, reconcile_account)


def _syncing_events(published: list[dict], account: LinkedAccount) -> list[bool]:
    """The `syncing` of each account event about `account` (None: an event that left it out)."""
    return [e.get("syncing") for e in published if e["type"] == "account" and e["id"] == account.pk]


def _flag(account: LinkedAccount) -> bool:
    account.refresh_from_db()
    return account.syncing


def _new_device(cloud, account: LinkedAccount, name: str) -> None:
    cloud.control("POST", "/devices", {"owner": account.apikey, "uiid": 1, "name": name})


def test_a_request_raises_the_flag_tells_the_pages_and_the_job_loads_and_lowers_it(
    link, cloud, published, unscoped
):
    account = link()
    published.clear()  # the first load's own events
    _new_device(cloud, account, "Garden light")

    with queued_work_runs():
        assert request_sync(account) == SyncRequest.QUEUED
        assert _flag(account)
        assert account.sync_requested_at is not None
        assert Thing.objects.filter(name="Garden light").count() == 0  # not in the request

    assert Thing.objects.filter(account=account, name="Garden light").count() == 1
    assert not _flag(account)
    assert task_run(account, JobKind.RECONCILE).ok
    raised = next(e for e in published if e["type"] == "account")
    assert raised == {
        "type": "account",
        "id": account.pk,
        "connection": account.connection_state,
        "status": "active",
        "syncing": True,
        "household": account.household_id,
    }
    kinds = [(e["type"], e.get("syncing")) for e in published]
    # Raised, then the new card's structure change, then lowered once the job is over.
    assert kinds == [("account", True), ("structure", None), ("account", False)]


def test_a_second_request_while_one_is_queued_queues_nothing(link, cloud, published, unscoped):
    account = link()
    published.clear()  # the first load's own events
    cloud.control("POST", "/counters/reset")

    with queued_work_runs():
        assert request_sync(account) == SyncRequest.QUEUED
    one_sync = calls(cloud, HOMES)
    assert one_sync > 0
    published.clear()
    cloud.control("POST", "/counters/reset")

    with queued_work_runs():
        assert request_sync(account) == SyncRequest.QUEUED
        assert request_sync(LinkedAccount.objects.get(pk=account.pk)) == SyncRequest.ALREADY

    assert calls(cloud, HOMES) == one_sync  # the second click queued no second sync
    assert _syncing_events(published, account) == [True, False]


def test_a_cloud_error_ends_the_sync_with_the_error_on_record(
    link, cloud, quick_client, published, unscoped
):
    account = link()
    published.clear()  # the first load's own events
    cloud.control("POST", "/faults", {"kind": "http_status", "path": THING_LIST, "status": 500})

    with queued_work_runs():
        request_sync(account)

    assert not _flag(account)
    assert _syncing_events(published, account) == [True, False]
    run = task_run(account, JobKind.RECONCILE)
    assert not run.ok
    assert run.result == {"error": "ServerError", "attempt": 2, "retrying": False}
    assert "cannot be reached" in run.last_error


def test_the_flag_stays_up_while_a_retry_is_coming(link, cloud, quick_client, published, unscoped):
    account = link()
    published.clear()  # the first load's own events
    _new_device(cloud, account, "Shed light")
    fault = {"kind": "http_status", "path": THING_LIST, "status": 500, "count": 1}
    cloud.control("POST", "/faults", fault)

    with queued_work_runs():
        request_sync(account)

    assert task_run(account, JobKind.RECONCILE).ok  # the retry went through
    assert Thing.objects.filter(name="Shed light").exists()
    kinds = [(e["type"], e.get("syncing")) for e in published]
    # The failed first attempt did not lower the flag: only the end of the retry did.
    assert kinds == [("account", True), ("structure", None), ("account", False)]


def test_a_session_the_cloud_rejects_ends_the_sync_and_asks_for_a_relink(
    link, cloud, published, unscoped
):
    account = link()
    published.clear()  # the first load's own events
    cloud.control("POST", f"/accounts/{account.apikey}/expire-tokens", {"at": True, "rt": True})

    with queued_work_runs():
        request_sync(account)

    account.refresh_from_db()
    assert (account.status, account.syncing) == (LinkStatus.NEEDS_RELINK, False)
    assert not task_run(account, JobKind.RECONCILE).ok
    assert _syncing_events(published, account)[-1] is False
    # An account that needs relinking cannot sync: nothing is raised or queued.
    assert request_sync(account) == SyncRequest.NOT_ACTIVE
    assert not _flag(account)


def test_a_run_that_finds_the_account_busy_ends_the_sync_when_it_gives_up(
    link, cloud, published, unscoped, monkeypatch
):
    account = link()
    published.clear()  # the first load's own events
    monkeypatch.setattr(reconcile_account, "max_retries", 1)
    other_job = account_lock(account.pk, JobKind.SYNC_HISTORY)
    assert other_job.acquire()
    try:
        with queued_work_runs():
            request_sync(account)
    finally:
        other_job.release()

    assert not _flag(account)  # gave up ("skipped"), and said so
    assert _syncing_events(published, account) == [True, False]


def test_a_lost_sync_does_not_keep_the_account_syncing(owner, link, cloud, published, unscoped):
    account = link()
    published.clear()  # the first load's own events
    lost = timezone.now() - syncing.STALE_AFTER - timedelta(minutes=1)
    LinkedAccount.objects.filter(pk=account.pk).update(syncing=True, sync_requested_at=lost)
    recent = LinkedAccountFactory(household=owner.household, label="Recent")
    LinkedAccount.objects.filter(pk=recent.pk).update(
        syncing=True, sync_requested_at=timezone.now() - timedelta(minutes=1)
    )

    # A page drawing the accounts lowers the lost flag (and tells the other pages) ...
    page = owner.client.get("/").content.decode()
    assert not _shown(page, account)
    assert _shown(page, recent)
    assert not _flag(account)
    assert _flag(recent)  # one asked for a minute ago is still on its way
    assert _syncing_events(published, account) == [False]
    # ... and a lost flag never blocks a new request.
    LinkedAccount.objects.filter(pk=account.pk).update(syncing=True, sync_requested_at=lost)
    with queued_work_runs():
        assert request_sync(LinkedAccount.objects.get(pk=account.pk)) == SyncRequest.QUEUED
    assert not _flag(account)
    assert request_sync(LinkedAccount.objects.get(pk=recent.pk)) == SyncRequest.ALREADY


def _shown(page: str, account: LinkedAccount) -> bool:
    """Whether the page draws the account's "Syncing …" line visible."""
    tag = page.split(f'data-account-syncing="{account.pk}"', 1)[1].split(">", 1)[0]
    return "hidden" not in tag


@pytest.mark.django_db(transaction=True)  # as in a view: no transaction, queued at once
def test_without_a_broker_the_request_says_so_and_leaves_no_flag(
    link, cloud, published, unscoped, monkeypatch
):
    account = link()
    published.clear()  # the first load's own events

    def no_broker(*args, **kwargs):
        raise kombu.exceptions.OperationalError("connection refused")

    monkeypatch.setattr(reconcile_account, "apply_async", no_broker)

    assert request_sync(account) == SyncRequest.UNAVAILABLE
    assert not _flag(account)
    assert _syncing_events(published, account) == [True, False]
