"""Homes and rooms of a linked account, managed from the homes page: create, rename, choose
the current home, delete; add, rename, reorder and delete rooms.

Each change runs the cloud call first (with the account's client); only once the cloud
accepted it are the Home/Room rows changed, in one transaction that also announces a
`StructureChange`, so every open dashboard redraws the homes and rooms concerned. Each
attempt is recorded as a `LayoutAction` (a thing's `ThingAction` has no account to list by,
and a home is not a thing). Admins and owners only; a cloud refusal changes nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import ewelink
from accounts.models import LinkedAccount, Membership, Role
from devices.layout_actions import ONLY_HOME, perform_layout
from devices.models import Home, Room, Thing
from devices.structure import StructureChange
from devices.thing_actions import ActionFailed
from devices.thing_settings import require

T = TypeVar("T")
MAX_NAME = 60  # what the eWeLink app lets a person type
MAX_ROOMS = 100  # per home, the API document's limit
ROOMS_CHANGED = (
    "The rooms of this home changed meanwhile (one was added or deleted); the page shows them "
    "as they are now: arrange them again."
)


def clean_name(raw: str, what: str = "It") -> str:
    name = " ".join(raw.split())
    if not name:
        raise ActionFailed(f"{what} needs a name.")
    if len(name) > MAX_NAME:
        raise ActionFailed(f"A name has at most {MAX_NAME} characters.")
    return name


def clean_room_names(raw: str) -> list[str]:
    """One room per line; blank lines are skipped."""
    names = [clean_name(line, "A room") for line in raw.splitlines() if line.strip()]
    if len(names) > MAX_ROOMS:
        raise ActionFailed(f"A home has at most {MAX_ROOMS} rooms.")
    return names


# ---- homes ------------------------------------------------------------------------------


def add_home(actor: Membership, account: LinkedAccount, raw_name: str, raw_rooms: str) -> Home:
    """A new home of `account`, with its first rooms in the order given."""
    require(actor, Role.ADMIN, "Creating a home")
    name, rooms = clean_name(raw_name, "A home"), clean_room_names(raw_rooms)

    async def call(client: ewelink.EWeLinkClient) -> ewelink.Home:
        return await client.add_home(name, sort=2, room_names=rooms)

    def apply(made: ewelink.Home) -> tuple[Home, StructureChange]:
        home = Home.objects.create(
            household_id=account.household_id, account=account, cloud_id=made.id,
            name=made.name or name, index=made.index,
        )  # fmt: skip
        Room.objects.bulk_create(
            Room(household_id=account.household_id, home=home, cloud_id=room.id,
                 name=room.name, index=room.index)
            for room in made.rooms
        )  # fmt: skip
        return home, StructureChange(homes={home.pk})

    return perform_layout(actor, account, "home_add", name, call, apply, {"rooms": rooms})


def rename_home(actor: Membership, home: Home, raw_name: str) -> Home:
    require(actor, Role.ADMIN, "Renaming a home")
    name = clean_name(raw_name, "A home")
    if name == home.name:
        return home

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.rename_home(name, home.cloud_id)

    def apply(_: None) -> tuple[Home, StructureChange]:
        Home.objects.filter(pk=home.pk).update(name=name)
        home.name = name
        return home, StructureChange(homes={home.pk})

    detail = {"from": home.name, "to": name}
    return perform_layout(actor, home.account, "home_rename", home.name, call, apply, detail)


def make_current(actor: Membership, home: Home) -> Home:
    """The home the account's eWeLink app opens on."""
    require(actor, Role.ADMIN, "Choosing the current home")
    if home.is_current:
        return home

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.switch_home(home.cloud_id)

    def apply(_: None) -> tuple[Home, StructureChange]:
        _set_current(home)
        return home, StructureChange()

    return perform_layout(actor, home.account, "home_current", home.name, call, apply)


def delete_home(actor: Membership, home: Home, move_to: Home) -> Home:
    """Delete `home`; its devices and groups go to `move_to`, into no room (as the cloud does).

    The account switches to `move_to` if `home` was its current home."""
    require(actor, Role.ADMIN, "Deleting a home")
    others = Home.objects.filter(account_id=home.account_id).exclude(pk=home.pk)
    if not others.exists():
        raise ActionFailed(ONLY_HOME)
    if move_to.account_id != home.account_id or move_to.pk == home.pk:
        raise ActionFailed("Choose another home of the same account for its devices.")
    current = others.filter(is_current=True).first()
    switch_to = move_to if home.is_current or current is None else current

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.delete_home(
            home.cloud_id, move_things_to=move_to.cloud_id, switch_to=switch_to.cloud_id
        )

    def apply(_: None) -> tuple[Home, StructureChange]:
        change = StructureChange(homes={home.pk, move_to.pk})
        _move_things(Thing.objects.filter(home=home), change, home=move_to)
        Home.objects.filter(pk=home.pk).delete()
        _set_current(switch_to)
        return home, change

    detail = {"devices_to": move_to.name}
    return perform_layout(actor, home.account, "home_delete", home.name, call, apply, detail)


def _set_current(home: Home) -> None:
    Home.objects.filter(account_id=home.account_id).exclude(pk=home.pk).update(is_current=False)
    Home.objects.filter(pk=home.pk).update(is_current=True)
    home.is_current = True


# ---- rooms ------------------------------------------------------------------------------


def add_room(actor: Membership, home: Home, raw_name: str) -> Room:
    """A new room, last in the home's order."""
    require(actor, Role.ADMIN, "Adding a room")
    name = clean_name(raw_name, "A room")
    if home.rooms.count() >= MAX_ROOMS:
        raise ActionFailed(f"A home has at most {MAX_ROOMS} rooms.")

    async def call(client: ewelink.EWeLinkClient) -> ewelink.Room:
        return await client.add_room(home.cloud_id, name, sort=2)

    def apply(made: ewelink.Room) -> tuple[Room, StructureChange]:
        room = Room.objects.create(
            household_id=home.household_id, home=home, cloud_id=made.id,
            name=made.name or name, index=made.index,
        )  # fmt: skip
        return room, StructureChange(homes={home.pk})

    detail = {"home": home.name}
    return perform_layout(actor, home.account, "room_add", name, call, apply, detail)


def rename_room(actor: Membership, room: Room, raw_name: str) -> Room:
    require(actor, Role.ADMIN, "Renaming a room")
    name = clean_name(raw_name, "A room")
    if name == room.name:
        return room

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.rename_room(room.cloud_id, name)

    def apply(_: None) -> tuple[Room, StructureChange]:
        Room.objects.filter(pk=room.pk).update(name=name)
        room.name = name
        return room, StructureChange(rooms={room.pk})

    detail = {"from": room.name, "to": name, "home": room.home.name}
    return perform_layout(actor, room.home.account, "room_rename", room.name, call, apply, detail)


def move_room(actor: Membership, room: Room, step: int) -> Room:
    """One place earlier (`step` -1) or later (+1) among its home's rooms (the keyboard's
    way; dragging sends the whole order to `order_rooms`)."""
    require(actor, Role.ADMIN, "Reordering rooms")
    order = [r.pk for r in room.home.rooms.order_by("index", "name", "pk")]
    at = order.index(room.pk)
    to = at + step
    if step not in (-1, 1) or not 0 <= to < len(order):
        return room
    order[at], order[to] = order[to], order[at]
    order_rooms(actor, room.home, order, moved=room)
    return room


def order_rooms(
    actor: Membership, home: Home, order: Sequence[int], moved: Room | None = None
) -> Home:
    """Put the home's rooms in `order` (room pks, every room once).

    The cloud takes the whole order of a home's rooms at once; an order that is not exactly
    the home's rooms (one was added or deleted meanwhile) is refused in words."""
    require(actor, Role.ADMIN, "Reordering rooms")
    rooms = {r.pk: r for r in home.rooms.all()}
    if sorted(order) != sorted(rooms):
        raise ActionFailed(ROOMS_CHANGED)
    current = sorted(rooms.values(), key=lambda r: (r.index, r.name, r.pk))
    if [r.pk for r in current] == list(order):
        return home  # dropped where it was
    ordered = [rooms[pk] for pk in order]

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.sort_rooms([r.cloud_id for r in ordered], home.cloud_id)

    def apply(_: None) -> tuple[Home, StructureChange]:
        for index, each in enumerate(ordered):
            each.index = index
        Room.objects.bulk_update(ordered, ["index"])
        return home, StructureChange(homes={home.pk})

    # A step of one room reads "moved the room X"; a dragged order "reordered the rooms of".
    action, subject = ("room_sort", moved.name) if moved else ("rooms_order", home.name)
    detail = {"home": home.name, "order": [r.name for r in ordered]}
    return perform_layout(actor, home.account, action, subject, call, apply, detail)


def delete_room(actor: Membership, room: Room) -> Room:
    """Delete a room; its devices stay in the home, in no room (as the cloud does)."""
    require(actor, Role.ADMIN, "Deleting a room")
    home = room.home

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.delete_room(room.cloud_id)

    def apply(_: None) -> tuple[Room, StructureChange]:
        change = StructureChange(homes={home.pk}, rooms={room.pk})
        _move_things(Thing.objects.filter(room=room), change, home=home)
        Room.objects.filter(pk=room.pk).delete()
        return room, change

    detail = {"home": home.name}
    return perform_layout(actor, home.account, "room_delete", room.name, call, apply, detail)


def _move_things(things: Any, change: StructureChange, *, home: Home) -> None:
    """Into `home`, in no room: where the cloud puts the things of a deleted home or room."""
    moved: Sequence[Thing] = list(things)
    for thing in moved:
        was = (thing.home_id, thing.room_id)
        thing.home, thing.room = home, None
        change.thing(thing, was=was)
    Thing.objects.filter(pk__in=[t.pk for t in moved]).update(home=home, room=None)
