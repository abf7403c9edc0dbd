"""The health board against cloudsim: real calls counted, a failing sync and a rejected
refresh token judged with the right reason, on the page and in the service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from accounts import call_counts
from accounts.call_counts import calls_last_day
from accounts.health import Level, household_health
from accounts.models import ConnectionState, LinkedAccount
from accounts.syncing import request_sync
from devices.tasks import reconcile_account
from jobs.tasks import refresh_tokens_for_account
from tests.background import queued_work_runs

from .conftest import quick_clients

pytestmark = pytest.mark.integration
THING_LIST = "/v2/device/thing"


@pytest.fixture(autouse=True)
def calls_prefix(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[str]:
    """Counts under a prefix of this test's own (Redis is shared), removed afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:calls"
    monkeypatch.setattr(call_counts, "_prefix", lambda: prefix)
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def quick_client(monkeypatch):  # type: ignore[no-untyped-def]
    quick_clients(monkeypatch, reconcile_account)


def _health_of(account: LinkedAccount):  # type: ignore[no-untyped-def]
    [health] = [h for h in household_health(account.household) if h.facts.account_id == account.pk]
    return health


def test_calls_of_a_linked_account_are_counted_and_a_failing_sync_is_judged(
    link, cloud, quick_client, owner, unscoped
):
    account = link()  # links (not counted: no account yet) and syncs (counted)
    # No realtime worker here: its socket is up, as the worker would have stored it.
    LinkedAccount.objects.filter(pk=account.pk).update(
        connection_state=ConnectionState.ONLINE, connection_changed_at=timezone.now()
    )
    synced = calls_last_day([account.pk])[account.pk]  # type: ignore[index]
    assert synced.made >= 2
    assert synced.refused == 0
    assert _health_of(account).level is Level.GREEN

    cloud.control("POST", "/faults", {"kind": "http_status", "path": THING_LIST, "status": 500})
    with queued_work_runs():
        request_sync(account)

    after = calls_last_day([account.pk])[account.pk]  # type: ignore[index]
    assert after.refused == 2  # the first attempt and its one retry, each refused once
    assert after.made > synced.made
    health = _health_of(account)
    assert health.level is Level.AMBER  # a good sync a minute ago: data still fresh
    [problem] = health.problems
    assert problem.text.startswith("The last sync failed at ")
    assert "cannot be reached" in problem.text
    assert problem.text.endswith("it is retried on its own, or press Resync on the accounts page.")
    page = owner.client.get(reverse("accounts:account_health")).content.decode()
    assert "Needs attention" in page
    assert f"{after.made} made, 2 refused" in page


def test_a_rejected_refresh_token_is_red_and_asks_for_a_relink(link, cloud, owner, unscoped):
    account = link()
    cloud.control("POST", f"/accounts/{account.apikey}/expire-tokens", {"at": False, "rt": True})
    # Due for renewal, so the refresh job asks the cloud, which refuses the refresh token.
    LinkedAccount.objects.filter(pk=account.pk).update(
        access_expires_at=timezone.now() + timedelta(days=1)
    )

    refresh_tokens_for_account.apply(args=[account.pk])

    health = _health_of(account)
    assert health.level is Level.RED
    [problem] = health.problems
    assert problem.text.startswith("The eWeLink sign-in was refused (")
    assert problem.text.endswith("link the account again (eWeLink accounts → Relink).")
    assert calls_last_day([account.pk])[account.pk].refused == 1  # type: ignore[index]
    page = owner.client.get(reverse("accounts:account_health")).content.decode()
    assert 'data-level="red"' in page
    assert "Broken" in page
