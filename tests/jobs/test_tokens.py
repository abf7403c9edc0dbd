"""Token refresh against cloudsim: ahead of expiry, through short lifetimes, and relinking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import JobKind, LinkedAccount, LinkStatus, Notification, NotificationKind
from accounts.signals import household_event
from devices.tasks import sync_history_for_account
from jobs.tasks import fan_out, refresh_tokens_for_account

from .conftest import calls, task_run

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
