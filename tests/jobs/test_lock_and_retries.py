"""The per-account lock, retries with backoff on 5xx and timeouts, and failure isolation."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_scopes import scopes_disabled

import accounts.cloud
import ewelink
from accounts.models import JobKind, LinkStatus, TaskRun
from devices.models import HistoryEntry, Thing
from devices.tasks import sync_history_for_account
from jobs.locks import account_lock
from jobs.tasks import fan_out

from .conftest import US, calls, task_run

pytestmark = pytest.mark.integration
HISTORY = "GET /v2/device/history"


@pytest.fixture
def quick_client(monkeypatch):
    """Clients that give up fast: no retries of their own, a 0.3 s timeout per call."""
    make = accounts.cloud.make_client

    def quick(*args, **kwargs):
        client = make(*args, **kwargs)
        client.http.retries = 0
        client.http.timeout = 0.3
        return client

    monkeypatch.setattr(accounts.cloud, "make_client", quick)
    monkeypatch.setattr(sync_history_for_account, "max_retries", 1)


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

    sync_history_for_account.apply(args=[account.pk]).get()  # the lock is free again
    assert calls(cloud, HISTORY) > 0


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
