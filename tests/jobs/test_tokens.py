"""Token refresh against cloudsim: ahead of expiry, through short lifetimes, and relinking."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.utils import timezone

import ewelink
from accounts.models import JobKind, LinkedAccount, LinkStatus, Notification, NotificationKind
from accounts.signals import household_event
from devices.tasks import sync_history_for_account
from jobs.tasks import fan_out, refresh_tokens_for_account

from .conftest import calls, quick_clients, task_run

pytestmark = pytest.mark.integration
REFRESH = "POST /v2/user/refresh"


@pytest.fixture
def published():
    """Events announced to households' pages (what realtime relays to the browsers)."""
    sent: list[tuple[int, dict]] = []

    def receive(sender, *, household_id: int, payload: dict, **kwargs) -> None:
        sent.append((household_id, payload))

    household_event.connect(receive)
    yield sent
    household_event.disconnect(receive)


def _expiring_in(account: LinkedAccount, delta: timedelta) -> None:
    LinkedAccount.objects.filter(pk=account.pk).update(access_expires_at=timezone.now() + delta)


def test_tokens_are_refreshed_well_before_they_expire(link, cloud, unscoped):
    soon, later = link(), link("demo-us@example.com")
    _expiring_in(soon, timedelta(days=3))  # inside TOKEN_REFRESH_AHEAD (7 days)
    _expiring_in(later, timedelta(days=20))
    old_soon, old_later = soon.access_token, later.access_token

    assert refresh_tokens_for_account.apply(args=[soon.pk]).get()["refreshed"] is True
    assert refresh_tokens_for_account.apply(args=[later.pk]).get()["refreshed"] is False

    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.access_token != old_soon
    assert soon.access_expires_at > timezone.now() + timedelta(days=29)
    assert later.access_token == old_later
    assert calls(cloud, REFRESH) == 1
    assert task_run(soon, JobKind.REFRESH_TOKENS).ok
    # The cloud accepts the new token.
    assert sync_history_for_account.apply(args=[soon.pk]).get()["devices"] > 0


def test_an_expired_access_token_is_refreshed_on_the_way(link, cloud, unscoped):
    account = link()
    cloud.control("POST", f"/accounts/{account.apikey}/expire-tokens", {"at": True})

    result = sync_history_for_account.apply(args=[account.pk]).get()

    assert result["created"] > 0
    assert calls(cloud, REFRESH) == 1
    fresh = LinkedAccount.objects.get(pk=account.pk)
    assert fresh.access_token != account.access_token
    assert fresh.status == LinkStatus.ACTIVE


def test_a_rejected_refresh_token_means_relink_and_the_household_is_told(
    link, cloud, eager, published, unscoped
):
    account = link()
    cloud.control("POST", f"/accounts/{account.apikey}/expire-tokens", {"at": True, "rt": True})
    _expiring_in(account, timedelta(hours=1))

    fan_out.apply(args=[JobKind.REFRESH_TOKENS]).get()

    account.refresh_from_db()
    assert account.status == LinkStatus.NEEDS_RELINK
    assert account.last_error
    run = task_run(account, JobKind.REFRESH_TOKENS)
    assert not run.ok
    assert run.last_error
    note = Notification.objects.get()
    assert (note.kind, note.household_id) == (NotificationKind.NEEDS_RELINK, account.household_id)
    assert account.label in note.title
    kinds = {payload["type"]: payload for household, payload in published}
    assert kinds["account"]["status"] == LinkStatus.NEEDS_RELINK
    assert kinds["notification"]["unread"] == 1
    assert {household for household, _ in published} == {account.household_id}

    # The account is left alone from now on: no second notification, no cloud call.
    cloud.control("POST", "/counters/reset")
    fan_out.apply(args=[JobKind.REFRESH_TOKENS]).get()
    assert Notification.objects.count() == 1
    assert calls(cloud, REFRESH) == 0


def test_a_session_the_cloud_rejects_during_a_job_means_relink(link, cloud, published, unscoped):
    account = link()
    cloud.control("POST", f"/accounts/{account.apikey}/expire-tokens", {"at": True, "rt": True})

    result = sync_history_for_account.apply(args=[account.pk]).get()

    assert result == {"needs_relink": True}
    account.refresh_from_db()
    assert account.status == LinkStatus.NEEDS_RELINK
    assert not task_run(account, JobKind.SYNC_HISTORY).ok
    assert Notification.objects.filter(kind=NotificationKind.NEEDS_RELINK).count() == 1
    assert any(payload["type"] == "account" for _, payload in published)


@pytest.fixture
def quick_client(monkeypatch):  # type: ignore[no-untyped-def]
    quick_clients(monkeypatch, refresh_tokens_for_account, timeout=0.3)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "http_status", "path": "/v2/user/refresh", "status": 500}, "ServerError"),
        ({"kind": "latency", "path": "/v2/user/refresh", "ms": 1500}, "NetworkError"),
        ({"kind": "rate_limit", "path": "/v2/user/refresh"}, "RateLimitedError"),
    ],
    ids=["5xx", "timeout", "rate-limited"],
)
def test_a_refresh_failing_for_a_transient_reason_is_retried_and_the_account_stays_active(
    link, cloud, quick_client, fault, error, unscoped
):
    account = link()
    _expiring_in(account, timedelta(hours=1))
    cloud.control("POST", "/counters/reset")
    cloud.control("POST", "/faults", fault)

    outcome = refresh_tokens_for_account.apply(args=[account.pk])

    assert outcome.failed()
    assert type(outcome.result).__name__ == error
    assert calls(cloud, REFRESH) == 2  # the first try and one retry (with backoff in a worker)
    account.refresh_from_db()
    assert (account.status, account.last_error) == (LinkStatus.ACTIVE, "")
    assert not Notification.objects.exists()
    run = task_run(account, JobKind.REFRESH_TOKENS)
    assert run.result == {"error": error, "attempt": 2, "retrying": False}
    assert error in run.last_error

    cloud.control("DELETE", "/faults")  # the cloud is back: the next run renews the sign-in
    assert refresh_tokens_for_account.apply(args=[account.pk]).get()["refreshed"] is True
    renewed = LinkedAccount.objects.get(pk=account.pk)
    assert renewed.status == LinkStatus.ACTIVE
    assert renewed.access_token != account.access_token
    assert sync_history_for_account.apply(args=[account.pk]).get()["devices"] > 0


def test_the_refresh_job_retries_transient_errors_with_jittered_backoff():
    task = refresh_tokens_for_account
    assert {ewelink.NetworkError, ewelink.ServerError, ewelink.RateLimitedError} <= set(
        task.autoretry_for
    )
    assert not set(task.autoretry_for) & {ewelink.AuthError, ewelink.TokenExpiredError}
    assert (task.retry_backoff, task.retry_jitter) == (settings.JOBS_RETRY_BACKOFF_SECONDS, True)


def test_a_password_link_estimates_the_expiry_the_reply_does_not_carry(link, cloud, unscoped):
    account = link()  # login answers at and rt only: the documented 30 and 60 days
    now = timezone.now()
    assert abs(account.access_expires_at - (now + timedelta(days=30))) < timedelta(minutes=1)
    assert abs(account.refresh_expires_at - (now + timedelta(days=60))) < timedelta(minutes=1)
    _expiring_in(account, timedelta(hours=1))

    result = refresh_tokens_for_account.apply(args=[account.pk]).get()

    account.refresh_from_db()  # the refresh answer carries no expiry either: estimated again
    assert abs(account.access_expires_at - (now + timedelta(days=30))) < timedelta(minutes=1)
    assert abs(account.refresh_expires_at - (now + timedelta(days=60))) < timedelta(minutes=1)
    assert result["access_expires_at"] == account.access_expires_at.isoformat()
    assert result["refresh_expires_at"] == account.refresh_expires_at.isoformat()


def test_an_oauth_link_takes_the_expiry_from_the_cloud_reply(owner, cloud, unscoped):
    from tests.accounts.test_linking import EU, _authorize, _callback, _oauth_redirect

    # A cloud that issues short-lived tokens: the stored expiry is the reply's, not 30 days.
    cloud.control("POST", "/settings", {"at_ttl": 7200, "rt_ttl": 86400})
    _, query = _oauth_redirect(owner, cloud)
    asked = timezone.now()
    _callback(owner, urlparse(_authorize(cloud, query, EU)))

    account = LinkedAccount.objects.get()
    assert abs(account.access_expires_at - (asked + timedelta(hours=2))) < timedelta(seconds=30)
    assert abs(account.refresh_expires_at - (asked + timedelta(days=1))) < timedelta(seconds=30)


def test_a_transient_failure_of_the_refresh_on_the_way_keeps_the_account_active(
    link, cloud, quick_client, monkeypatch, unscoped
):
    account = link()
    monkeypatch.setattr(sync_history_for_account, "max_retries", 1)
    cloud.control("POST", f"/accounts/{account.apikey}/expire-tokens", {"at": True})  # 402 next
    cloud.control("POST", "/faults", {"kind": "http_status", "path": "/v2/user/refresh"})

    outcome = sync_history_for_account.apply(args=[account.pk])

    assert type(outcome.result).__name__ == "ServerError"
    assert calls(cloud, REFRESH) == 2
    account.refresh_from_db()
    assert account.status == LinkStatus.ACTIVE
    assert not Notification.objects.exists()

    cloud.control("DELETE", "/faults")
    assert sync_history_for_account.apply(args=[account.pk]).get()["created"] > 0
    assert calls(cloud, REFRESH) == 3
