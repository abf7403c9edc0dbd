"""The admin site: staff only, every household's accounts, actions, never a secret."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import LinkedAccount, LinkStatus
from devices.models import Thing
from tests.factories import LinkedAccountFactory, UserFactory
from tests.fixtures.cloud import DEMO


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="admin@example.com", is_staff=True, is_superuser=True))
    return client


def test_admin_is_for_staff_only(owner):
    response = owner.client.get(reverse("admin:accounts_linkedaccount_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_staff_see_every_households_accounts_without_secrets(staff, owner, outsider, unscoped):
    mine = LinkedAccountFactory(household=owner.household, label="Ours")
    theirs = LinkedAccountFactory(household=outsider.household, label="Theirs")
    listing = staff.get(reverse("admin:accounts_linkedaccount_changelist")).content.decode()
    assert "Ours" in listing
    assert "Theirs" in listing
    detail = staff.get(reverse("admin:accounts_linkedaccount_change", args=[mine.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    for account in (mine, theirs):
        assert account.access_token not in listing + page
        assert account.refresh_token not in listing + page
    filtered = staff.get(reverse("admin:accounts_linkedaccount_changelist") + "?q=Theirs")
    assert "Ours" not in filtered.content.decode()


def _act(staff: Client, action: str, account: LinkedAccount):
    url = reverse("admin:accounts_linkedaccount_changelist")
    return staff.post(url, {"action": action, "_selected_action": [account.pk]}, follow=True)


def test_disable_and_mark_for_relink_actions(staff, owner, unscoped):
    account = LinkedAccountFactory(household=owner.household)
    _act(staff, "disable", account)
    assert LinkedAccount.objects.get().status == LinkStatus.DISABLED
    _act(staff, "mark_for_relink", account)
    assert LinkedAccount.objects.get().status == LinkStatus.NEEDS_RELINK


@pytest.mark.integration
def test_refresh_and_resync_actions_talk_to_the_cloud(staff, owner, cloud, unscoped):
    from accounts import linking

    email = "demo-us@example.com"
    account = linking.link_with_password(
        owner.membership, identifier=email, password=DEMO[email]["password"],
        country_code=DEMO[email]["country_code"], label="US",
    )  # fmt: skip
    old_token = account.access_token
    page = _act(staff, "refresh_tokens", account).content.decode()
    assert "1 account(s) refreshed" in page
    assert LinkedAccount.objects.get().access_token != old_token
    _act(staff, "resync", account)
    assert Thing.objects.filter(account=account).count() > 0


@pytest.mark.integration
def test_refresh_with_a_rejected_refresh_token_marks_for_relink(staff, owner, cloud, unscoped):
    account = LinkedAccountFactory(household=owner.household, region="us", refresh_token="bogus")
    _act(staff, "refresh_tokens", account)
    account.refresh_from_db()
    assert account.status == LinkStatus.NEEDS_RELINK
    assert account.last_error


def test_things_are_read_only_but_local_preferences_editable(staff, owner, unscoped):
    account = LinkedAccountFactory(household=owner.household)
    thing = Thing.objects.create(
        household=owner.household, account=account, cloud_id="abc", item_type=1, name="Lamp"
    )
    form = staff.get(reverse("admin:devices_thing_change", args=[thing.pk])).content.decode()
    assert 'name="hidden"' in form
    assert 'name="name"' not in form
    assert staff.get(reverse("admin:devices_thing_add")).status_code == 403
