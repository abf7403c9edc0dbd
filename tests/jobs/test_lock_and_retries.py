"""The per-account lock, retries with backoff on 5xx and timeouts, and failure isolation."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_scopes import scopes_disabled

import ewelink
import jobs.base
from accounts.models import JobKind, LinkStatus, TaskRun
from devices.models import HistoryEntry, Thing
from devices.tasks import sync_history_for_account
from jobs.locks import account_lock
from jobs.tasks import fan_out, start_new_accounts
from tests.factories import LinkedAccountFactory

from .conftest import US, calls, quick_clients, task_run

pytestmark = pytest.mark.integration
HISTORY = "GET /v2/device/history"


@pytest.fixture
def quick_client(monkeypatch):  # type: ignore[no-untyped-def]
    quick_clients(monkeypatch, sync_history_for_account, timeout=0.3)


def test_a_run_finding_the_same_job_running_does_nothing(link, cloud, unscoped):
    account = link()
    other_worker = account_lock(account.pk, JobKind.SYNC_HISTORY)
    assert other_worker.acquire()
    try:
        result = sync_history_for_account.apply(args=[account.pk]).get()
    finally:
        other_worker.release()

    assert result == {"skipped": "already running"}
    assert calls(cloud, HISTORY) == 0
    assert not HistoryEntry.objects.exists()
    assert not TaskRun.objects.exists()


def test_another_job_holding_the_account_makes_a_run_wait_its_turn(link, cloud, unscoped):
    account = link()
    reconcile = account_lock(account.pk, JobKind.RECONCILE)
    assert reconcile.acquire()
    try:
        sync_history_for_account.apply(args=[account.pk])  # retries (at once, eagerly), gives up
    finally:
        reconcile.release()
    assert calls(cloud, HISTORY) == 0
    # On record as skipped, not as an error: the last attempt says no retry is coming.
    run = task_run(account, JobKind.SYNC_HISTORY)
    assert (run.skipped, run.outcome, run.failing) == (True, "skipped", False)
    assert run.result == {"skipped": "busy with reconcile", "retrying": False}
    assert run.skip_reason == "busy with reconcile"
    assert run.last_run_at is not None
    assert (run.last_error, run.last_error_at) == ("", None)

    sync_history_for_account.apply(args=[account.pk]).get()  # the lock is free again
    assert calls(cloud, HISTORY) > 0
    run.refresh_from_db()
    assert (run.skipped, run.ok, run.outcome) == (False, True, "ok")


def test_every_busy_attempt_is_recorded_and_retried_a_bounded_number_of_times(
    link, cloud, monkeypatch, unscoped
):
    account = link()
    monkeypatch.setattr(sync_history_for_account, "max_retries", 2)
    seen: list[dict] = []
    record = jobs.base.record_skip

    def spy(account, job, why, *, retrying=False):
        seen.append({"why": why, "retrying": retrying})
        return record(account, job, why, retrying=retrying)

    monkeypatch.setattr(jobs.base, "record_skip", spy)
    firmware = account_lock(account.pk, JobKind.CHECK_FIRMWARE)
    assert firmware.acquire()
    try:
        sync_history_for_account.apply(args=[account.pk])
    finally:
        firmware.release()

    # The first try and two retries, the last one giving up.
    assert seen == [
        {"why": "busy with check_firmware", "retrying": True},
        {"why": "busy with check_firmware", "retrying": True},
        {"why": "busy with check_firmware", "retrying": False},
    ]
    assert calls(cloud, HISTORY) == 0


def test_a_skipped_run_counts_for_the_start_up_runs(link, cloud, eager, unscoped):
    account = link()
    syncing_now = account_lock(account.pk, JobKind.RECONCILE)  # a long sync elsewhere
    assert syncing_now.acquire()
    try:
        assert start_new_accounts.apply().get() == len(JobKind.values)
        # Every other job found the account busy and said so; none is queued again a minute
        # later. The reconcile run found its own job running: that run records itself.
        assert start_new_accounts.apply().get() == 1
    finally:
        syncing_now.release()
    runs = {run.task: run.result for run in TaskRun.objects.filter(account=account)}
    busy = {"skipped": "busy with reconcile", "retrying": False}
    assert runs == {job: busy for job in JobKind.values if job != JobKind.RECONCILE}
    assert calls(cloud, HISTORY) == 0


def test_an_account_that_is_not_active_is_skipped_on_record(owner, cloud, unscoped):
    account = LinkedAccountFactory(household=owner.household, status=LinkStatus.NEEDS_RELINK)

    result = sync_history_for_account.apply(args=[account.pk]).get()

    assert result == {"skipped": "account needs relink"}
    assert task_run(account, JobKind.SYNC_HISTORY).skipped
    assert calls(cloud, HISTORY) == 0
    gone = sync_history_for_account.apply(args=[account.pk + 1000]).get()
    assert gone == {"skipped": "account is gone"}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_for_one_account_do_the_work_once(link, cloud, unscoped):
    account = link()
    devices = Thing.objects.filter(account=account, kind="device").count()
    cloud.control("POST", "/counters/reset")
    # A slow first answer keeps the first run inside the lock while the second one starts.
    cloud.control(
        "POST", "/faults", {"kind": "latency", "path": "/v2/device/history", "ms": 1500, "count": 1}
    )
    results: list[dict] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            results.append(sync_history_for_account.apply(args=[account.pk]).get())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert {"skipped": "already running"} in results
    done = next(r for r in results if "created" in r)
    assert done["created"] == HistoryEntry.objects.count() > 0
    assert calls(cloud, HISTORY) == devices  # one page per device: one run's worth


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "http_status", "path": "/v2/device/history", "status": 500}, "ServerError"),
        ({"kind": "latency", "path": "/v2/device/history", "ms": 1500}, "NetworkError"),
    ],
    ids=["5xx", "timeout"],
)
def test_server_errors_and_timeouts_are_retried_then_reported(
    link, cloud, quick_client, fault, error, unscoped
):
    account = link()
    cloud.control("POST", "/faults", fault)

    outcome = sync_history_for_account.apply(args=[account.pk])

    assert outcome.failed()
    assert isinstance(outcome.result, getattr(ewelink, error))
    assert calls(cloud, HISTORY) == 2  # the first try and one retry
    run = task_run(account, JobKind.SYNC_HISTORY)
    assert not run.ok
    assert run.result == {"error": error, "attempt": 2, "retrying": False}
    assert "cannot be reached" in run.last_error
    assert error in run.last_error

    cloud.control("DELETE", "/faults")
    sync_history_for_account.apply(args=[account.pk]).get()
    run.refresh_from_db()
    assert run.ok
    assert run.last_error
    assert run.last_error_at < run.last_ok_at


def test_one_accounts_failure_does_not_hold_up_the_others(link, cloud, eager, unscoped):
    broken, fine = link(), link(US)
    cloud.control("POST", f"/accounts/{broken.apikey}/expire-tokens", {"at": True, "rt": True})

    assert fan_out.apply(args=[JobKind.RECONCILE]).get() == 2

    with scopes_disabled():
        assert task_run(fine, JobKind.RECONCILE).ok
        assert not task_run(broken, JobKind.RECONCILE).ok
        broken.refresh_from_db()
        assert broken.status == LinkStatus.NEEDS_RELINK
        # Only active accounts are worked on.
        assert fan_out.apply(args=[JobKind.RECONCILE]).get() == 1
