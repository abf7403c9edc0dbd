"""Unlinking asks first, keeps the data for a grace period, relinking restores it, the purge
job deletes it afterwards. Against a running cloudsim, like test_linking."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts import linking, tasks
from accounts.models import LinkedAccount, LinkStatus
from devices.models import HistoryEntry, Home, Room, Thing
from jobs.runs import active_account_ids
from realtime.worker.supervisor import Shard, wanted_accounts
from tests.accounts.test_linking import EU, US, _authorize, _callback, _link, _oauth_redirect

pytestmark = pytest.mark.integration
CONFIRM = {"confirm": "yes"}


def _unlink_url(account: LinkedAccount) -> str:
    return reverse("accounts:account_unlink", args=[account.pk])


def _linked(persona, email: str = US) -> LinkedAccount:
    assert _link(persona, email).status_code == 302
    return LinkedAccount.objects.get(household=persona.household)


def _history_for(thing: Thing) -> HistoryEntry:
    return HistoryEntry.objects.create(
        household_id=thing.household_id,
        thing=thing,
        ops_time=timezone.now() - timedelta(hours=1),
        user_agent="app",
        fingerprint=f"test-{thing.pk}",
    )


def test_unlink_without_the_confirmation_only_asks_and_names_what_goes(owner, cloud, unscoped):
    account = _linked(owner)
    homes = Home.objects.filter(account=account).count()
    rooms = Room.objects.filter(home__account=account).count()
    things = Thing.objects.filter(account=account).count()
    for send in (owner.client.get, owner.client.post):
        response = send(_unlink_url(account))
        assert response.status_code == 200
        page = response.content.decode()
        assert f"Unlink {account.label}?" in page
        counts = f"{homes} home{'s' * (homes != 1)}, {rooms} rooms, {things} things"
        assert f"{account.label}: {counts} and their history" in page
        assert 'name="confirm" value="yes"' in page
        assert reverse("accounts:linked_accounts") in page  # the way back
    account.refresh_from_db()
    assert account.status == LinkStatus.ACTIVE
    assert account.access_token


def test_confirmed_unlink_hides_the_account_and_keeps_its_data(owner, cloud, unscoped):
    account = _linked(owner)
    things = Thing.objects.filter(account=account).count()
    response = owner.client.post(_unlink_url(account), CONFIRM, follow=True)
    page = response.content.decode()
    assert "was unlinked" in page
    account.refresh_from_db()
    kept_until = account.purge_after
    expected = timezone.now() + timedelta(days=settings.UNLINK_GRACE_DAYS)
    assert abs((kept_until - expected).total_seconds()) < 60
    listing = owner.client.get(reverse("accounts:linked_accounts"))
    assert list(listing.context["accounts"]) == []
    assert list(listing.context["unlinked"]) == [account]
    html = listing.content.decode()
    assert f'Unlinked — data kept until <time datetime="{kept_until.isoformat()}' in html
    assert f"?relink={account.pk}" in html
    assert reverse("accounts:account_unlink", args=[account.pk]) not in html
    assert reverse("accounts:account_sync", args=[account.pk]) not in html
    # Off the dashboard, out of the worker and the jobs; the data is still there.
    dashboard = owner.client.get(reverse("dashboard:home"))
    assert dashboard.context["sections"] == []
    assert _dashboard_thing_ids(owner) == set()
    assert not dashboard.context["has_accounts"]
    assert account.pk not in wanted_accounts(Shard())
    assert account.pk not in active_account_ids()
    assert Thing.objects.filter(account=account).count() == things
    # A rejected session noticed afterwards (the worker's socket) does not revive it.
    linking.mark_needs_relink(account.pk, "kicked")
    account.refresh_from_db()
    assert account.status == LinkStatus.UNLINKED
    sync = owner.client.post(reverse("accounts:account_sync", args=[account.pk]))
    assert sync.status_code == 404


@pytest.mark.parametrize("how", ["password", "oauth"])
def test_relinking_within_the_grace_period_restores_rooms_preferences_and_history(
    owner, cloud, unscoped, how
):
    account = _linked(owner, EU)
    thing = Thing.objects.filter(account=account, room__isnull=False).first()
    Thing.objects.filter(pk=thing.pk).update(favourite=True, name="Our special name")
    entry = _history_for(thing)
    rooms = set(Room.objects.filter(home__account=account).values_list("pk", flat=True))
    owner.client.post(_unlink_url(account), CONFIRM)
    if how == "password":
        assert _link(owner, EU).status_code == 302
    else:
        _, query = _oauth_redirect(owner, cloud)
        redirect = urlparse(_authorize(cloud, query, EU))
        assert _callback(owner, redirect).status_code == 302
    relinked = LinkedAccount.objects.get()
    assert relinked.pk == account.pk
    assert (relinked.status, relinked.purge_after) == (LinkStatus.ACTIVE, None)
    assert relinked.method == how
    assert relinked.access_token
    restored = Thing.objects.get(pk=thing.pk)
    assert restored.favourite
    assert restored.room_id == thing.room_id
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()
    assert set(Room.objects.filter(home__account=account).values_list("pk", flat=True)) == rooms
    assert thing.pk in _dashboard_thing_ids(owner)


def _dashboard_thing_ids(persona) -> set[int]:
    sections = persona.client.get(reverse("dashboard:home")).context["sections"]
    return {card.thing.pk for home in sections for room in home.rooms for card in room.cards}


def test_the_purge_job_deletes_the_data_after_the_grace_period(owner, outsider, cloud, unscoped):
    expired = _linked(owner, US)
    in_grace = _linked(outsider, EU)
    owner.client.post(_unlink_url(expired), CONFIRM)
    outsider.client.post(_unlink_url(in_grace), CONFIRM)
    LinkedAccount.objects.filter(pk=expired.pk).update(
        purge_after=timezone.now() - timedelta(seconds=1)
    )
    thing_ids = list(Thing.objects.filter(account=expired).values_list("pk", flat=True))
    assert thing_ids
    assert tasks.purge_unlinked_accounts() == 1
    assert not LinkedAccount.objects.filter(pk=expired.pk).exists()
    assert not Thing.objects.filter(pk__in=thing_ids).exists()
    assert not Home.objects.filter(account_id=expired.pk).exists()
    assert LinkedAccount.objects.get(pk=in_grace.pk).status == LinkStatus.UNLINKED
    assert Thing.objects.filter(account=in_grace).exists()


def test_the_purge_job_runs_hourly_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["purge_unlinked"]
    assert entry["task"] == tasks.purge_unlinked_accounts.name
    assert entry["options"]["expires"] < entry["schedule"].total_seconds()


def test_the_purge_leaves_a_relinked_account_alone(owner, cloud, unscoped):
    account = _linked(owner)
    owner.client.post(_unlink_url(account), CONFIRM)
    _link(owner, US)
    assert linking.purge_unlinked(now=timezone.now() + timedelta(days=365)) == 0
    assert LinkedAccount.objects.get(pk=account.pk).status == LinkStatus.ACTIVE


def test_an_account_in_grace_elsewhere_is_purged_quietly_and_linked_here(
    owner, outsider, cloud, unscoped
):
    theirs = _linked(outsider, US)
    their_things = list(Thing.objects.filter(account=theirs).values_list("pk", flat=True))
    outsider.client.post(_unlink_url(theirs), CONFIRM)
    response = _link(owner, US)
    assert response.status_code == 302
    mine = LinkedAccount.objects.get(apikey=theirs.apikey)
    assert mine.household == owner.household
    assert mine.pk != theirs.pk
    assert not Thing.objects.filter(pk__in=their_things).exists()
    page = owner.client.get(reverse("accounts:linked_accounts")).content.decode()
    assert outsider.household.name not in page
    assert outsider.user.email not in page
    assert LinkedAccount.objects.filter(household=outsider.household).count() == 0


def test_admin_may_unlink_and_member_may_not(admin, member, cloud, unscoped):
    account = _linked(admin)
    assert member.client.post(_unlink_url(account), CONFIRM).status_code == 403
    assert LinkedAccount.objects.get().status == LinkStatus.ACTIVE
    assert admin.client.post(_unlink_url(account), CONFIRM).status_code == 302
    assert LinkedAccount.objects.get().status == LinkStatus.UNLINKED


def test_old_tokens_rejected_after_a_relink_do_not_mark_the_relinked_account(
    owner, cloud, unscoped
):
    """A socket or job still holding the tokens of before an unlink sees them rejected; the
    account was linked again meanwhile with new tokens, which must keep working."""
    account = _linked(owner, EU)
    old_tokens_from = account.tokens_refreshed_at
    owner.client.post(_unlink_url(account), CONFIRM)
    assert _link(owner, EU).status_code == 302
    assert not linking.mark_needs_relink(account.pk, "kicked", tokens_from=old_tokens_from)
    account.refresh_from_db()
    assert account.status == LinkStatus.ACTIVE
    # The current tokens rejected: that does mark it.
    current = account.tokens_refreshed_at
    assert linking.mark_needs_relink(account.pk, "kicked", tokens_from=current)
    account.refresh_from_db()
    assert account.status == LinkStatus.NEEDS_RELINK
