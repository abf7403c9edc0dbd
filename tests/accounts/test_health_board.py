"""The account health board: call counts in real Redis, the page (admins only, a bounded
number of queries) and the same facts in the Django admin."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.call_counts import CallCounts, calls_last_day, record_call
from accounts.models import ConnectionState, JobKind, LinkStatus, TaskRun
from tests.factories import LinkedAccountFactory, UserFactory

HOUR = 3600.0
NOW = 1_800_000_000.0  # a fixed moment, so buckets do not move under the test


def _record(account_id: int, refused: bool, at: float) -> None:
    asyncio.run(record_call(account_id, refused, now=at))


# --- counting, against real Redis --------------------------------------------------------------


def test_calls_are_counted_per_account_over_the_last_24_hours(calls_prefix, redis_url):
    for at, refused in [(NOW, False), (NOW - 60, True), (NOW - 23 * HOUR, True)]:
        _record(7, refused, at)
    _record(8, False, NOW)
    _record(7, True, NOW - 24 * HOUR)  # the 25th hour back: no longer "the last 24 h"

    counts = calls_last_day([7, 8, 9], now=NOW)

    assert counts == {
        7: CallCounts(made=3, refused=2),
        8: CallCounts(made=1, refused=0),
        9: CallCounts(made=0, refused=0),
    }
    # Each hour's bucket expires by itself once the day it counts in has passed.
    client = redis.Redis.from_url(redis_url)
    key = f"{calls_prefix}:7:{int(NOW // HOUR)}:made"
    assert 24 * HOUR < client.ttl(key) <= 25 * HOUR


def test_a_redis_that_is_down_neither_fails_a_call_nor_the_board(settings, calls_prefix, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with caplog.at_level("DEBUG", logger="accounts.call_counts"):
        _record(7, True, NOW)  # returns: the call it counts goes on
    assert "not counted" in caplog.text
    assert calls_last_day([7], now=NOW) is None


# --- the page --------------------------------------------------------------------------------


def _healthy(household: Any, **values: Any):  # type: ignore[no-untyped-def]
    now = timezone.now()
    fields = {
        "connection_state": ConnectionState.ONLINE,
        "connection_changed_at": now - timedelta(hours=1),
        "last_sync_at": now - timedelta(minutes=30),
        "access_expires_at": now + timedelta(days=20),
        "refresh_expires_at": now + timedelta(days=50),
        **values,
    }
    account = LinkedAccountFactory(household=household, **fields)
    TaskRun.objects.create(
        household=household, account=account, task=JobKind.RECONCILE, ok=True, last_run_at=now
    )
    return account


def test_admins_and_owners_see_each_account_with_its_level_in_words(
    owner, admin, calls_prefix, unscoped
):
    _healthy(owner.household, label="Cottage")
    _healthy(
        owner.household,
        label="Garage",
        connection_state=ConnectionState.OFFLINE,
        connection_changed_at=timezone.now() - timedelta(hours=2),
    )
    for persona in (owner, admin):
        page = persona.client.get(reverse("accounts:account_health")).content.decode()
        assert "Cottage" in page
        assert "Garage" in page
        assert 'data-level="green"' in page
        assert "Healthy" in page
        assert 'data-level="red"' in page
        assert "Broken" in page
        assert "The live connection has been down since" in page
        assert "0 made, 0 refused" in page


def test_a_job_that_found_the_account_busy_is_shown_skipped_not_failed(
    owner, calls_prefix, unscoped
):
    account = _healthy(owner.household, label="Cottage")
    TaskRun.objects.create(
        household=owner.household,
        account=account,
        task=JobKind.SYNC_HISTORY,
        ok=False,
        skipped=True,
        result={"skipped": "busy with reconcile", "retrying": True},
        last_run_at=timezone.now(),
    )
    page = owner.client.get(reverse("accounts:account_health")).content.decode()
    assert "skipped: busy with reconcile" in page
    assert 'data-level="green"' in page  # a skip is no problem
    assert "failed" not in page


def test_members_and_guests_are_refused_in_words(member, guest):
    for persona in (member, guest):
        response = persona.client.get(reverse("accounts:account_health"))
        assert response.status_code == 403
        assert "This needs the admin role or higher." in response.content.decode()


def test_the_accounts_page_links_to_the_board_for_admins_only(owner, member):
    url = reverse("accounts:account_health")
    assert url in owner.client.get(reverse("accounts:linked_accounts")).content.decode()
    assert url not in member.client.get(reverse("accounts:linked_accounts")).content.decode()


def test_another_households_accounts_are_not_shown(owner, outsider, calls_prefix, unscoped):
    _healthy(outsider.household, label="Not ours")
    page = owner.client.get(reverse("accounts:account_health")).content.decode()
    assert "Not ours" not in page


def test_the_page_makes_as_many_queries_for_many_accounts_as_for_one(owner, calls_prefix, unscoped):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.client.get(reverse("accounts:account_health")).status_code == 200
        return len(captured)

    _healthy(owner.household)
    queries()  # the first request of a session does some bookkeeping of its own
    one = queries()
    for _ in range(4):
        _healthy(owner.household)
    assert queries() == one


# --- the Django admin --------------------------------------------------------------------------


@pytest.fixture
def staff(db) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


def test_staff_see_a_health_column_and_a_health_panel(staff, owner, calls_prefix, unscoped):
    good = _healthy(owner.household, label="Good one")
    bad = _healthy(
        owner.household,
        label="Bad one",
        status=LinkStatus.NEEDS_RELINK,
        last_error="The eWeLink sign-in is no longer valid.",
    )
    listing = staff.get(reverse("admin:accounts_linkedaccount_changelist")).content.decode()
    assert 'data-health="green"' in listing
    assert 'data-health="red"' in listing
    assert "Needs attention" not in listing  # neither is amber

    panel = staff.get(reverse("admin:accounts_linkedaccount_change", args=[bad.pk]))
    page = panel.content.decode()
    assert 'data-health-panel="red"' in page
    assert "The eWeLink sign-in was refused (The eWeLink sign-in is no longer valid)" in page
    good_page = staff.get(reverse("admin:accounts_linkedaccount_change", args=[good.pk]))
    assert 'data-health-panel="green"' in good_page.content.decode()
