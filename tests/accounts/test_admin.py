"""The admin site: staff only, every household's accounts, actions, never a secret."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from accounts.models import LinkedAccount, LinkStatus
from devices.models import Thing
from tests.background import queued_work_runs
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
    with queued_work_runs():  # queued like a household's Resync, run by the worker
        page = _act(staff, "resync", account).content.decode()
        assert Thing.objects.filter(account=account).count() == 0  # not in the request
    assert "1 account(s) syncing in the background" in page
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


# --- Moving an account to another household ---------------------------------------------------


def _account_with_everything(household):  # type: ignore[no-untyped-def]
    """A linked account with one row of every household-owned kind that belongs to it."""
    from django.utils import timezone

    from accounts.models import JobKind, TaskRun
    from devices.models import (
        FirmwareUpdate,
        FirmwareUpgrade,
        HistoryEntry,
        Home,
        LayoutAction,
        Message,
        Room,
        Share,
        ThingAction,
    )
    from logbook.models import EventKind, LogbookEvent
    from realtime.models import CommandRecord

    account = LinkedAccountFactory(household=household, label="Moving")
    home = Home.objects.create(household=household, account=account, cloud_id="h1", name="Flat")
    room = Room.objects.create(household=household, home=home, cloud_id="r1", name="Den")
    thing = Thing.objects.create(
        household=household, account=account, cloud_id="d1", item_type=1, name="Lamp",
        uiid=1, params={"switch": "off"}, home=home, room=room,
    )  # fmt: skip
    Share.objects.create(household=household, thing=thing, to_apikey="friend")
    HistoryEntry.objects.create(
        household=household, thing=thing, ops_time=timezone.now(), fingerprint="f"
    )
    Message.objects.create(
        household=household, account=account, home=home, msgid="m1", date=timezone.now()
    )
    FirmwareUpdate.objects.create(household=household, thing=thing, version="2.0")
    TaskRun.objects.create(household=household, account=account, task=JobKind.values[0])
    CommandRecord.objects.create(
        household=household, account=account, thing=thing, thing_name="Lamp", control="switch",
        via="rest", result="ok",
    )  # fmt: skip
    ThingAction.objects.create(
        household=household, thing=thing, thing_name="Lamp", action="rename", result="ok"
    )
    FirmwareUpgrade.objects.create(household=household, thing=thing, to_version="2.0")
    LayoutAction.objects.create(
        household=household, account=account, action="rename_home", subject="Flat", result="ok"
    )
    LogbookEvent.objects.create(
        household=household,
        kind=EventKind.CONNECTIVITY,
        thing=thing,
        account=account,
        text="online",
    )
    return account, thing


def test_the_household_of_an_account_is_not_editable_in_its_form(staff, owner, unscoped):
    account = LinkedAccountFactory(household=owner.household)
    form = staff.get(reverse("admin:accounts_linkedaccount_change", args=[account.pk]))
    assert form.status_code == 200
    assert 'name="household"' not in form.content.decode()
    listing = staff.get(reverse("admin:accounts_linkedaccount_changelist")).content.decode()
    assert 'value="move_to_household"' in listing


def test_moving_an_account_moves_everything_it_owns_and_its_control(staff, owner, outsider):
    from django_scopes import scopes_disabled

    from accounts.moving import owned_models
    from realtime.control import ControlRequest, Refused, prepare
    from realtime.snapshot import build_snapshot

    with scopes_disabled():
        account, thing = _account_with_everything(owner.household)
    old, new = owner.household, outsider.household
    url = reverse("admin:accounts_linkedaccount_changelist")
    # The action asks first: a confirmation page naming the account, nothing moved yet.
    ask = staff.post(url, {"action": "move_to_household", "_selected_action": [account.pk]})
    assert ask.status_code == 200
    assert "Moving" in ask.content.decode()
    with scopes_disabled():
        assert LinkedAccount.objects.get().household == old
    done = staff.post(
        url,
        {"action": "move_to_household", "_selected_action": [account.pk],
         "household": new.pk, "apply": "Move"},
        follow=True,
    )  # fmt: skip
    assert "Moving moved to The Joneses" in done.content.decode()

    with scopes_disabled():
        assert LinkedAccount.objects.get().household == new
        for model, paths in owned_models():
            # Rows of the household not about the account (a member joined) stay where they are.
            of_account = Q()
            for path in paths:
                of_account |= Q(**{path: account})
            assert not model._base_manager.filter(of_account, household=old).exists(), model
            assert model._base_manager.filter(household=new).exists(), model
    # The old household sees and controls none of it; the new one does.
    assert str(thing.pk) not in build_snapshot(old.pk)["things"]
    assert str(thing.pk) in build_snapshot(new.pk)["things"]
    sync = reverse("accounts:account_sync", args=[account.pk])
    assert owner.client.post(sync).status_code == 404
    assert outsider.client.get(reverse("dashboard:home")).content.decode().count("Lamp") >= 1
    assert "Lamp" not in owner.client.get(reverse("dashboard:home")).content.decode()

    def control(persona):  # type: ignore[no-untyped-def]
        request = ControlRequest(
            user_id=persona.user.pk, household_id=persona.household.pk, thing_id=thing.pk,
            control="switch", value=True, request="r1",
        )  # fmt: skip
        return prepare(request)

    with pytest.raises(Refused, match="not in this household"):
        control(owner)
    assert control(outsider).params == {"switch": "on"}


def test_moving_to_the_same_household_changes_nothing(staff, owner, unscoped):
    account = LinkedAccountFactory(household=owner.household, label="Stays")
    page = staff.post(
        reverse("admin:accounts_linkedaccount_changelist"),
        {"action": "move_to_household", "_selected_action": [account.pk],
         "household": owner.household.pk, "apply": "Move"},
        follow=True,
    ).content.decode()  # fmt: skip
    assert "Stays already belongs to The Smiths" in page
    assert LinkedAccount.objects.get().household == owner.household
