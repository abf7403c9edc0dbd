"""The timers editor's service and panel against cloudsim: whole arrays in UTC, roles,
stale saves and a share's permit (the browser tests cover the live round trip)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import linking
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from devices import timer_editing, timers
from devices.models import Thing
from devices.presentation import plugin_for
from devices.sync import sync_account
from devices.thing_actions import ActionFailed
from devices.thing_page import Viewer, panel_html
from tests.fixtures.cloud import DEMO

pytestmark = pytest.mark.integration

EU, US, GUEST = "demo-eu@example.com", "demo-us@example.com", "demo-eu-guest@example.com"
BERLIN = ZoneInfo("Europe/Berlin")


def _link(persona: Any, email: str) -> LinkedAccount:
    demo = DEMO[email]
    account = linking.link_with_password(
        persona.membership,
        identifier=email,
        password=demo["password"],
        country_code=demo["country_code"],
        label=email,
    )
    sync_account(account.pk)
    return account


def _thing(account: LinkedAccount, name: str, item_type: int = 1) -> Thing:
    return Thing.objects.select_related("household").get(
        account=account, name=name, item_type=item_type
    )


def _sim_timers(cloud: Any, deviceid: str) -> Any:
    return cloud.control("GET", f"/devices/{deviceid}")["params"].get("timers")


def _tomorrow_at(hour: int) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, 30))


@pytest.fixture
def berlin(owner: Any) -> None:
    owner.household.time_zone = "Europe/Berlin"
    owner.household.save()


def test_a_member_adds_a_once_timer_sent_whole_in_utc(owner, member, cloud, unscoped, berlin):
    thing = _thing(_link(owner, US), "Garage light")
    seen = timers.fingerprint(thing.params.get("timers"))
    when = _tomorrow_at(7)
    timer = timers.OnceTimer(when=when, action=timers.Action.single(True))
    timer_editing.add(member.membership, thing, timer, seen)
    array = _sim_timers(cloud, thing.cloud_id)
    assert len(array) == 1
    utc = when.replace(tzinfo=BERLIN).astimezone(UTC)
    assert array[0]["at"] == timers.iso_utc(utc)
    assert array[0]["do"] == {"switch": "on"}
    assert array[0]["enabled"] == 1


def test_a_guest_may_not_change_timers(owner, guest, cloud, unscoped):
    thing = _thing(_link(owner, US), "Garage light")
    seen = timers.fingerprint(thing.params.get("timers"))
    timer = timers.CountdownTimer(minutes=5, action=timers.Action.single(True))
    with pytest.raises(PermissionDenied, match="member role"):
        timer_editing.add(guest.membership, thing, timer, seen)
    assert not _sim_timers(cloud, thing.cloud_id)
    html = panel_html("timers", thing, plugin_for(thing), Viewer(guest.membership.role))
    assert "Add a timer" not in html
    assert "Members and up change timers" in html


def test_a_stale_editor_is_refused_and_the_other_change_kept(owner, member, cloud, unscoped):
    thing = _thing(_link(owner, US), "Garage light")
    seen = timers.fingerprint(thing.params.get("timers"))
    theirs = [{"enabled": 1, "mId": "theirs", "type": "repeat", "at": "0 6 * * 1",
               "do": {"switch": "on"}, "coolkit_timer_type": "repeat"}]  # fmt: skip
    cloud.control("POST", f"/devices/{thing.cloud_id}/params", {"params": {"timers": theirs}})
    sync_account(thing.account_id)  # what the worker would have stored
    thing.refresh_from_db()
    timer = timers.CountdownTimer(minutes=5, action=timers.Action.single(True))
    with pytest.raises(ActionFailed, match="changed since you opened the editor"):
        timer_editing.add(member.membership, thing, timer, seen)
    assert _sim_timers(cloud, thing.cloud_id) == theirs


def test_invalid_timers_and_devices_without_timers_are_refused(owner, member, cloud, unscoped):
    account = _link(owner, US)
    thing = _thing(account, "Garage light")
    seen = timers.fingerprint(thing.params.get("timers"))
    past = timers.OnceTimer(when=datetime(2020, 1, 1, 8, 0), action=timers.Action.single(True))
    with pytest.raises(ActionFailed, match="in the past"):
        timer_editing.add(member.membership, thing, past, seen)
    assert not _sim_timers(cloud, thing.cloud_id)
    bridge = _thing(account, "Porch bridge")
    with pytest.raises(ActionFailed, match="no timers"):
        timer_editing.delete(member.membership, bridge, "x", timers.fingerprint(None))
    html = panel_html("timers", bridge, plugin_for(bridge), Viewer(member.membership.role))
    assert "no timers the dashboard can edit" in html
    assert "Add a timer" not in html


def test_a_share_without_create_refuses_adding_but_allows_enabling(owner, member, cloud, unscoped):
    owner_account = _link(owner, EU)
    pantry = _thing(owner_account, "Pantry light")
    element = {"enabled": 1, "mId": "pantry-1", "type": "repeat", "at": "30 5 * * 1,2",
               "do": {"switch": "on"}, "coolkit_timer_type": "repeat"}  # fmt: skip
    cloud.control("POST", f"/devices/{pantry.cloud_id}/params", {"params": {"timers": [element]}})

    async def share(client: Any) -> None:
        no_create = timers.EDIT | timers.DELETE | timers.ENABLE
        await client.share_devices([pantry.cloud_id], permit=no_create, email=GUEST)

    async def run() -> None:
        async with open_client(owner_account) as client:
            await share(client)

    async_to_sync(run)()
    shared = _thing(_link(owner, GUEST), "Pantry light", item_type=2)
    assert timer_editing.permit_of(shared) == 14
    seen = timers.fingerprint(shared.params.get("timers"))
    html = panel_html("timers", shared, plugin_for(shared), Viewer(member.membership.role))
    assert "Add a timer" not in html
    assert "Disable" in html

    timer = timers.CountdownTimer(minutes=5, action=timers.Action.single(True))
    with pytest.raises(ActionFailed, match="does not let you create"):
        timer_editing.add(member.membership, shared, timer, seen)
    assert _sim_timers(cloud, pantry.cloud_id) == [element]

    timer_editing.set_enabled(member.membership, shared, "pantry-1", False, seen)
    assert _sim_timers(cloud, pantry.cloud_id) == [{**element, "enabled": 0}]


def test_a_forged_post_by_a_guest_is_refused_with_a_message(owner, guest, cloud, unscoped):
    thing = _thing(_link(owner, US), "Garage light")
    url = reverse("dashboard:thing_timer_add", args=[thing.pk])
    data = {"kind": "countdown", "countdown_minutes": "5", "countdown_action": "on",
            "fingerprint": timers.fingerprint(thing.params.get("timers"))}  # fmt: skip
    response = guest.client.post(url, data, follow=True)
    assert "needs the member role" in response.content.decode()
    assert not _sim_timers(cloud, thing.cloud_id)


def test_a_bad_field_is_the_page_message_and_sends_nothing(owner, member, cloud, unscoped):
    thing = _thing(_link(owner, US), "Garage light")
    url = reverse("dashboard:thing_timer_add", args=[thing.pk])
    data = {"kind": "repeat", "repeat_time": "07:00", "repeat_action": "on",
            "fingerprint": timers.fingerprint(thing.params.get("timers"))}  # fmt: skip
    response = member.client.post(url, data, follow=True)
    assert "Choose at least one weekday" in response.content.decode()
    assert not _sim_timers(cloud, thing.cloud_id)


def test_an_edit_replaces_that_timer_only_and_keeps_its_id(owner, member, cloud, unscoped, berlin):
    thing = _thing(_link(owner, US), "Garage light")
    first = timers.OnceTimer(when=_tomorrow_at(7), action=timers.Action.single(True))
    second = timers.OnceTimer(when=_tomorrow_at(8), action=timers.Action.single(False))
    timer_editing.add(
        member.membership, thing, first, timers.fingerprint(thing.params.get("timers"))
    )
    loaded = _sim_timers(cloud, thing.cloud_id)
    thing.params = {**thing.params, "timers": loaded}  # what the worker stores from the update
    timer_editing.add(member.membership, thing, second, timers.fingerprint(loaded))
    loaded = _sim_timers(cloud, thing.cloud_id)
    thing.params = {**thing.params, "timers": loaded}
    mid = loaded[0]["mId"]
    changed = timers.OnceTimer(when=_tomorrow_at(9), action=timers.Action.single(False), mid=mid)
    timer_editing.edit(member.membership, thing, mid, changed, timers.fingerprint(loaded))
    array = _sim_timers(cloud, thing.cloud_id)
    assert [t["mId"] for t in array] == [t["mId"] for t in loaded]
    utc = _tomorrow_at(9).replace(tzinfo=BERLIN).astimezone(UTC)
    assert array[0]["at"] == timers.iso_utc(utc)
    assert array[0]["do"] == {"switch": "off"}
    assert array[1] == loaded[1]  # the other timer goes back exactly as it was
