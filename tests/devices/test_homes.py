"""Homes and rooms managed from the homes page, against cloudsim: each change in the cloud and
in the rows, announced; refusals (role, only home, cloud errors) change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

import ewelink
from accounts.models import LinkedAccount
from devices import homes
from devices.layout_actions import explain
from devices.models import Home, LayoutAction, Room, Thing
from devices.thing_actions import ActionFailed
from tests.fixtures.cloud import link_demo_us

pytestmark = pytest.mark.integration

US = "demo-us@example.com"


_link = link_demo_us  # the demo's US account, linked and synced


def _sim_homes(cloud: Any, account: LinkedAccount) -> dict[str, Any]:
    answer = cloud.control("GET", f"/accounts/{account.apikey}/homes")
    return {home["id"]: home for home in answer["familyList"]} | {
        "current": answer["currentFamilyId"]
    }


def _room_names(cloud: Any, account: LinkedAccount, home: Home) -> list[str]:
    return [room["name"] for room in _sim_homes(cloud, account)[home.cloud_id]["roomList"]]


def test_an_admin_builds_a_home_and_arranges_its_rooms(owner, cloud, unscoped) -> None:
    account = _link(owner)
    home = homes.add_home(owner.membership, account, "  Barn ", "Loft\n\n Stable \n")
    assert home.name == "Barn"
    assert _room_names(cloud, account, home) == ["Loft", "Stable"]
    assert list(home.rooms.values_list("name", flat=True)) == ["Loft", "Stable"]

    homes.rename_home(owner.membership, home, "Big barn")
    assert _sim_homes(cloud, account)[home.cloud_id]["name"] == "Big barn"
    tack = homes.add_room(owner.membership, home, "Tack room")
    stable = Room.objects.get(home=home, name="Stable")
    homes.rename_room(owner.membership, stable, "Stables")
    homes.move_room(owner.membership, tack, -1)
    expected = ["Loft", "Tack room", "Stables"]
    assert _room_names(cloud, account, home) == expected
    assert list(Room.objects.filter(home=home).values_list("name", flat=True)) == expected

    homes.make_current(owner.membership, home)
    assert _sim_homes(cloud, account)["current"] == home.cloud_id
    assert list(Home.objects.filter(account=account, is_current=True)) == [home]
    done = LayoutAction.objects.filter(account=account, result="ok")
    assert set(done.values_list("action", flat=True)) >= {"home_add", "room_sort", "home_current"}


def test_deleting_a_room_leaves_its_devices_in_the_home_in_no_room(owner, cloud, unscoped):
    account = _link(owner)
    garage = Room.objects.get(home__account=account, name="Garage")
    things = list(garage.things.all())
    assert things
    homes.delete_room(owner.membership, garage)
    assert not Room.objects.filter(pk=garage.pk).exists()
    for thing in Thing.objects.filter(pk__in=[t.pk for t in things]):
        assert (thing.home_id, thing.room_id) == (garage.home_id, None)
        assert cloud.control("GET", f"/devices/{thing.cloud_id}")["roomid"] == ""


def test_deleting_a_home_moves_its_devices_and_switches_the_current_home(owner, cloud, unscoped):
    account = _link(owner)
    house = Home.objects.get(account=account, name="House")
    barn = homes.add_home(owner.membership, account, "Barn", "")
    pks = list(house.things.values_list("pk", flat=True))
    homes.delete_home(owner.membership, house, barn)
    sim = _sim_homes(cloud, account)
    assert house.cloud_id not in sim
    assert sim["current"] == barn.cloud_id
    assert set(Thing.objects.filter(pk__in=pks).values_list("home_id", "room_id")) == {
        (barn.pk, None)
    }
    assert Home.objects.get(pk=barn.pk).is_current


def test_the_only_home_is_refused_in_words_before_the_cloud(owner, cloud, unscoped) -> None:
    account = _link(owner)
    house = Home.objects.get(account=account)
    with pytest.raises(ActionFailed) as refused:
        homes.delete_home(owner.membership, house, house)
    assert "only home" in refused.value.message
    assert "20003" in refused.value.message
    assert house.cloud_id in _sim_homes(cloud, account)
    assert explain(ewelink.ApiError("only", 20003), "home_delete") == homes.ONLY_HOME


def test_members_are_refused_and_nothing_changes(owner, member, cloud, unscoped) -> None:
    account = _link(owner)
    house = Home.objects.get(account=account)
    with pytest.raises(PermissionDenied):
        homes.rename_home(member.membership, house, "Mine now")
    with pytest.raises(PermissionDenied):
        homes.add_home(member.membership, account, "Mine", "")
    assert _sim_homes(cloud, account)[house.cloud_id]["name"] == "House"
    response = member.client.post(reverse("dashboard:homes_rename", args=[house.pk]), {"name": "X"})
    assert response.status_code == 403
    page = member.client.get(reverse("dashboard:homes")).content.decode()
    assert "House" in page
    assert "Rename home" not in page


def test_a_cloud_error_changes_nothing_and_is_recorded(owner, cloud, unscoped) -> None:
    account = _link(owner)
    room = Room.objects.get(home__account=account, name="Office")
    cloud.control(
        "POST", "/faults", {"kind": "http_status", "path": "/v2/family/room", "status": 500,
                            "count": 10},
    )  # fmt: skip
    with pytest.raises(ActionFailed) as refused:
        homes.rename_room(owner.membership, room, "Study")
    assert "cannot be reached" in refused.value.message
    assert Room.objects.get(pk=room.pk).name == "Office"
    assert LayoutAction.objects.get(action="room_rename").result == "failed"


def test_names_and_room_lists_are_checked_before_the_cloud() -> None:
    for raw in ("", "   ", "x" * 61):
        with pytest.raises(ActionFailed):
            homes.clean_name(raw)
    assert homes.clean_room_names(" A \n\nB  b\n") == ["A", "B b"]
    with pytest.raises(ActionFailed):
        homes.clean_room_names("\n".join(f"R{i}" for i in range(101)))
