"""All on / all off, Refresh and Move of several things, against cloudsim: calls split at
the document's limit of 10, per-thing results in words, nothing written optimistically,
refreshed state stored and announced, moves checked in the cloud and the rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import linking
from accounts.models import Household, LinkedAccount
from accounts.signals import household_event
from devices import arranging, batch_control
from devices.models import Home, LayoutAction, Room, Thing, ThingAction
from devices.sync import sync_account
from tests.fixtures.cloud import DEMO, link_demo_us

pytestmark = pytest.mark.integration

US = "demo-us@example.com"
BATCH = "POST /v2/device/thing/batch-status"
SPECIFIED = "POST /v2/device/thing"


_link = link_demo_us  # the demo's US account, linked and synced


def _new_home(cloud: Any, account: LinkedAccount, name: str, rooms: list[str]) -> dict[str, Any]:
    return cloud.control(
        "POST", f"/accounts/{account.apikey}/homes", {"name": name, "rooms": rooms}
    )


def _devices(cloud: Any, account: LinkedAccount, specs: list[dict[str, Any]]) -> list[str]:
    made = [cloud.control("POST", "/devices", {"owner": account.apikey, **s}) for s in specs]
    return [str(device["deviceid"]) for device in made]


def _calls(cloud: Any, label: str) -> int:
    return int(cloud.control("GET", "/counters")["calls"].get(label, 0))


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receive(sender: Any, household_id: int, payload: dict[str, Any], **kw: Any) -> None:
        seen.append(payload)

    household_event.connect(receive, dispatch_uid="test-batch")
    yield seen
    household_event.disconnect(dispatch_uid="test-batch")


def test_a_room_switches_off_in_calls_of_ten_with_a_reason_for_each_failure(
    owner, cloud, unscoped
) -> None:
    account = _link(owner)
    made = _new_home(cloud, account, "Barn", ["Stalls"])
    place = {"familyid": made["familyid"], "roomid": made["rooms"][0]["id"]}
    on = {"switch": "on"}
    specs = [{"uiid": 1, "name": f"Lamp {n}", "params": on, **place} for n in range(10)]
    specs += [
        {"uiid": 2, "name": "Two gang", **place,
         "params": {"switches": [{"switch": "on", "outlet": 0}, {"switch": "on", "outlet": 1}]}},
        {"uiid": 1, "name": "Gone lamp", "params": on, "online": False, **place},
        {"uiid": 102, "name": "Door sensor", **place},
    ]  # fmt: skip
    ids = _devices(cloud, account, specs)
    sync_account(account.pk)
    room = Room.objects.get(cloud_id=place["roomid"])
    before = _calls(cloud, BATCH)

    outcome = batch_control.switch_things(
        owner.membership, batch_control.things_in(room=room), False, "the room Stalls"
    )

    assert _calls(cloud, BATCH) - before == 2  # 12 things with a switch: 10 + 2
    assert outcome.left_alone == ["Door sensor"]
    assert [r.name for r in outcome.failed] == ["Gone lamp"]
    assert "offline" in outcome.failed[0].reason
    assert len(outcome.done) == 11
    params = {d: cloud.control("GET", f"/devices/{d}")["params"] for d in ids}
    assert all(params[d]["switch"] == "off" for d in ids[:10])
    assert [s["switch"] for s in params[ids[10]]["switches"]][:2] == ["off", "off"]
    assert params[ids[11]]["switch"] == "on"  # offline: it never got the command
    # Nothing written ahead of the devices' own reports (the live worker brings those).
    assert Thing.objects.get(cloud_id=ids[0]).params["switch"] == "on"
    records = ThingAction.objects.filter(action="all_off")
    assert records.count() == 12
    assert records.get(thing_name="Gone lamp").result == "failed"


def test_each_accounts_things_go_through_its_own_client_and_a_cloud_error_is_worded(
    owner, cloud, unscoped
) -> None:
    us = _link(owner)
    demo = DEMO["demo-eu@example.com"]
    eu = linking.link_with_password(
        owner.membership, identifier="demo-eu@example.com", password=demo["password"],
        country_code=demo["country_code"], label="EU",
    )  # fmt: skip
    sync_account(eu.pk)
    lights = [
        Thing.objects.get(account=us, name="Garage light"),
        Thing.objects.get(account=eu, name="Kitchen light"),
    ]
    for light in lights:  # a device of one account is refused (406) to the other's token
        cloud.control("POST", f"/devices/{light.cloud_id}/params", {"params": {"switch": "off"}})

    outcome = batch_control.switch_things(owner.membership, lights, True, "the chosen things")

    assert [r.ok for r in outcome.results] == [True, True]
    for light in lights:
        assert cloud.control("GET", f"/devices/{light.cloud_id}")["params"]["switch"] == "on"

    cloud.control(
        "POST", "/faults", {"kind": "http_status", "path": "/v2/device/thing/batch-status",
                            "status": 500, "count": 10},
    )  # fmt: skip
    outcome = batch_control.switch_things(owner.membership, lights, False, "the chosen things")
    assert not outcome.done
    assert all("cannot be reached" in r.reason for r in outcome.failed)
    assert ThingAction.objects.filter(action="all_off", result="failed").count() == 2


def test_every_switch_of_a_thing_comes_from_its_plugin() -> None:
    def thing(uiid: int | None, params: dict[str, Any], item_type: int = 1) -> Thing:
        return Thing(uiid=uiid, params=params, item_type=item_type, tags={})

    two = {"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}]}
    assert batch_control.switch_params(thing(2, two), True) == {
        "switches": [{"switch": "on", "outlet": 0}, {"switch": "on", "outlet": 1}]
    }
    # A Zigbee gang takes its whole array, every outlet set.
    gang = {"switches": [{"switch": "on", "outlet": o} for o in range(3)]}
    assert batch_control.switch_params(thing(3256, gang), False) == {
        "switches": [{"switch": "off", "outlet": o} for o in range(3)]
    }
    assert batch_control.switch_params(thing(5000, {"switch": "on"}, 3), False) == {"switch": "off"}
    assert batch_control.switch_params(thing(225, {"switch": False}), True) == {"switch": True}
    assert batch_control.switch_params(thing(102, {"switch": "open"}), True) is None


def test_refresh_reads_things_in_calls_of_ten_and_stores_them_as_a_sync_would(
    owner, cloud, unscoped, events
) -> None:
    account = _link(owner)
    _devices(cloud, account, [{"uiid": 1, "name": f"Lamp {n}"} for n in range(6)])
    sync_account(account.pk)
    things = list(Thing.objects.filter(account=account).order_by("pk"))
    assert len(things) > 10  # the demo account: the split is exercised
    stale = things[0]
    truth = cloud.control("GET", f"/devices/{stale.cloud_id}")
    Thing.objects.filter(pk=stale.pk).update(name="Old name", params={}, online=not truth["online"])
    before = _calls(cloud, SPECIFIED)

    outcome = batch_control.refresh_things(
        owner.membership,
        batch_control.chosen_things(owner.household.pk, [str(t.pk) for t in things]),
    )

    assert _calls(cloud, SPECIFIED) - before == -(-len(things) // 10)
    assert not outcome.failed
    assert len(outcome.refreshed) == len(things)
    fresh = Thing.objects.get(pk=stale.pk)
    assert (fresh.name, fresh.online) == (truth["name"], truth["online"])
    assert fresh.params == truth["params"]
    structure = [e for e in events if e["type"] == "structure"]
    assert stale.pk in structure[-1]["things"]
    assert account.pk in structure[-1]["accounts"]


def test_chosen_things_move_into_a_room_of_their_home_others_are_refused_in_words(
    owner, cloud, unscoped, events
) -> None:
    account = _link(owner)
    house = Home.objects.get(account=account, name="House")
    office = Room.objects.get(home=house, name="Office")
    movers = list(Thing.objects.filter(home=house).exclude(room=office).order_by("pk")[:2])
    barn = _new_home(cloud, account, "Barn", ["Stalls"])
    place = {"familyid": barn["familyid"], "roomid": barn["rooms"][0]["id"]}
    (stray,) = _devices(cloud, account, [{"uiid": 1, "name": "Barn lamp", **place}])
    sync_account(account.pk)
    chosen = [*movers, Thing.objects.get(cloud_id=stray)]
    version = Household.objects.get(pk=owner.household.pk).structure_version

    outcome = arranging.move_things(owner.membership, chosen, office)

    assert outcome.moved == [t.name for t in movers]
    assert outcome.refused == [
        ("Barn lamp", "it is in another home (Barn); things move between the rooms of their "
                      "own home.")
    ]  # fmt: skip
    for thing in movers:
        assert cloud.control("GET", f"/devices/{thing.cloud_id}")["roomid"] == office.cloud_id
        assert Thing.objects.get(pk=thing.pk).room_id == office.pk
    assert cloud.control("GET", f"/devices/{stray}")["roomid"] == place["roomid"]
    assert Household.objects.get(pk=owner.household.pk).structure_version > version
    assert office.pk in events[-1]["rooms"]
    assert LayoutAction.objects.get(action="things_move").detail["things"] == outcome.moved


def test_guests_may_not_switch_refresh_or_move_and_see_no_buttons(
    owner, guest, member, cloud, unscoped
) -> None:
    account = _link(owner)
    things = list(Thing.objects.filter(account=account))
    room = Room.objects.get(home__account=account, name="Office")
    with pytest.raises(PermissionDenied):
        batch_control.switch_things(guest.membership, things, False, "the chosen things")
    with pytest.raises(PermissionDenied):
        batch_control.refresh_things(guest.membership, things)
    with pytest.raises(PermissionDenied):
        arranging.move_things(member.membership, things[:1], room)
    answer = guest.client.post(reverse("dashboard:rooms_switch", args=[room.pk]), {"state": "off"})
    assert answer.status_code == 403
    page = guest.client.get(reverse("dashboard:home")).content.decode()
    assert "Office" in page
    assert "All off" not in page
    assert "data-select-toggle" not in page
    page = member.client.get(reverse("dashboard:home")).content.decode()
    assert "All off in Office" in page
    assert "Move to room" not in page  # admins and owners move things
    assert not ThingAction.objects.exists()
