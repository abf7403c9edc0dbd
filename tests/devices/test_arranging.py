"""Drag and drop against cloudsim: a home's rooms reordered, a card placed in its room or in
another one; the cloud's order and rooms and our rows agree; stale or refused drops change
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import LinkedAccount
from devices import arranging, homes
from devices.models import Home, LayoutAction, Room, Thing
from devices.thing_actions import ActionFailed
from tests.devices.test_homes import _link, _room_names

pytestmark = pytest.mark.integration


def _sim_room_order(cloud: Any, room: Room) -> list[str]:
    """The names of the room's devices in the cloud's order for the home."""
    devices = cloud.control("GET", "/devices")
    mine = [d for d in devices if d["roomid"] == room.cloud_id and d["owner"]]
    return [d["name"] for d in sorted(mine, key=lambda d: d["index"])]


def _our_room_order(room: Room) -> list[str]:
    return list(
        Thing.objects.filter(room=room)
        .order_by("index", "name", "pk")
        .values_list("name", flat=True)
    )


def _things(account: LinkedAccount, *names: str) -> list[Thing]:
    by_name = {t.name: t for t in Thing.objects.filter(account=account)}
    return [by_name[name] for name in names]


def test_rooms_take_the_order_they_were_dropped_in(owner, cloud, unscoped) -> None:
    account = _link(owner)
    house = Home.objects.get(account=account)
    rooms = {r.name: r for r in house.rooms.all()}
    assert _room_names(cloud, account, house) == ["Living room", "Garage", "Office"]
    order = [rooms[n].pk for n in ("Office", "Living room", "Garage")]
    homes.order_rooms(owner.membership, house, order)
    assert _room_names(cloud, account, house) == ["Office", "Living room", "Garage"]
    names = house.rooms.order_by("index").values_list("name", flat=True)
    assert list(names) == ["Office", "Living room", "Garage"]
    # A stale page (a room added meanwhile) is refused in words; nothing moves.
    with pytest.raises(ActionFailed, match="changed meanwhile"):
        homes.order_rooms(owner.membership, house, order[:2])
    assert _room_names(cloud, account, house) == ["Office", "Living room", "Garage"]


def test_a_card_dropped_in_its_room_and_in_another_one(owner, cloud, unscoped) -> None:
    account = _link(owner)
    garage = Room.objects.get(home__account=account, name="Garage")
    office = Room.objects.get(home__account=account, name="Office")
    light, circuits, pump, strip = _things(
        account, "Garage light", "Panel circuits", "Pool pump", "Office power strip"
    )
    assert _sim_room_order(cloud, garage) == ["Garage light", "Panel circuits", "Pool pump"]

    arranging.place_thing(owner.membership, pump, garage, [pump.pk, light.pk, circuits.pk])
    expected = ["Pool pump", "Garage light", "Panel circuits"]
    assert _sim_room_order(cloud, garage) == expected
    assert _our_room_order(garage) == expected

    strip = Thing.objects.get(pk=strip.pk)
    order = [strip.pk, pump.pk, light.pk, circuits.pk]
    arranging.place_thing(owner.membership, strip, garage, order)
    expected = ["Office power strip", "Pool pump", "Garage light", "Panel circuits"]
    assert _sim_room_order(cloud, garage) == expected
    assert _our_room_order(garage) == expected
    assert _sim_room_order(cloud, office) == []
    assert Thing.objects.get(pk=strip.pk).room_id == garage.pk
    done = LayoutAction.objects.filter(account=account, action="things_sort", result="ok")
    assert done.count() == 2


def test_a_stale_or_refused_drop_changes_nothing(owner, member, cloud, unscoped) -> None:
    account = _link(owner)
    garage = Room.objects.get(home__account=account, name="Garage")
    light, circuits, pump, strip = _things(
        account, "Garage light", "Panel circuits", "Pool pump", "Office power strip"
    )
    before = _sim_room_order(cloud, garage)
    # The page named a card that is in another room by now.
    with pytest.raises(ActionFailed, match="changed meanwhile"):
        arranging.place_thing(owner.membership, pump, garage, [strip.pk, pump.pk])
    with pytest.raises(ActionFailed, match="changed meanwhile"):
        arranging.place_thing(owner.membership, pump, garage, [light.pk, circuits.pk])
    with pytest.raises(PermissionDenied):
        arranging.place_thing(member.membership, pump, garage, [pump.pk, light.pk])
    with pytest.raises(PermissionDenied):
        homes.order_rooms(member.membership, garage.home, [garage.pk])
    assert _sim_room_order(cloud, garage) == before
    assert _our_room_order(garage) == before
