"""Arranging the cards of a home: a card dragged within its room, or into another room.

Also the selection's "Move to room…": several things into one room in one call.

The eWeLink cloud keeps one order per home for all its own devices and groups
(`/v2/family/thing/sort` takes them all), and each room's things as a list
(`/v2/family/room/thing`). A drop names the card and the order of the room it landed in;
moving it there is the thing page's move (`thing_settings.move`), then the home's whole order
is sent with that room's things in their new order, in the places the room's things held, so
every other room keeps its order. Things shared with the account are arranged by their
owner: the cloud refuses to sort them, so they keep their place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import ewelink
from accounts.models import Membership, Role
from devices.layout_actions import perform_layout
from devices.models import Home, Room, Thing
from devices.structure import StructureChange
from devices.thing_actions import ActionFailed
from devices.thing_settings import move, require, room_things

SHARED = 2  # item type of a device shared with the account
ROOM_CHANGED = (
    "That room changed meanwhile (a device came or went); the page shows it as it is now: "
    "drag the card again."
)


def place_thing(actor: Membership, thing: Thing, room: Room | None, order: Sequence[int]) -> None:
    """Drop `thing` into `room` (None: the home's "No room") so that the room's cards read
    `order` (thing pks, the dropped one included)."""
    require(actor, Role.ADMIN, "Arranging cards")
    if thing.is_shared_with_us:
        raise ActionFailed("A device shared with this account is arranged by its owner.")
    if thing.pk not in order:
        raise ActionFailed(ROOM_CHANGED)
    home = thing.home
    if home is None:
        raise ActionFailed("This device is in no home, so it has no rooms to move to.")
    move(actor, thing, room)  # nothing when it stays in its room
    order_room(actor, home, room, order)


def order_room(actor: Membership, home: Home, room: Room | None, order: Sequence[int]) -> Home:
    """The home's own things of `room` in `order`; shared ones and any not named keep their
    place after them. A thing named that is not in the room is refused: the page was stale."""
    require(actor, Role.ADMIN, "Arranging cards")
    if room is not None and room.home_id != home.pk:
        raise ActionFailed("That room is in another home.")
    everything = list(Thing.objects.filter(home=home).order_by("index", "name", "pk"))
    sortable = [t for t in everything if t.item_type != SHARED]
    in_room = [t for t in sortable if t.room_id == (room.pk if room else None)]
    by_pk = {t.pk: t for t in in_room}
    if len(set(order)) != len(order) or not set(order) <= set(by_pk):
        raise ActionFailed(ROOM_CHANGED)
    wanted = [by_pk[pk] for pk in order] + [t for t in in_room if t.pk not in set(order)]
    if wanted == in_room:
        return home  # dropped where it was
    slots = iter(wanted)  # the room's places in the home's order take its new order
    new_order = [next(slots) if t.pk in by_pk else t for t in sortable]

    async def call(client: ewelink.EWeLinkClient) -> None:
        refs = [ewelink.ThingRef(t.item_type, t.cloud_id) for t in new_order]
        await client.sort_things(refs, home.cloud_id)

    def apply(_: None) -> tuple[Home, StructureChange]:
        for index, thing in enumerate(new_order):
            thing.index = index
        Thing.objects.bulk_update(new_order, ["index"])
        # Only that room's cards changed places (a home's "No room" is drawn with the home).
        return home, StructureChange(rooms={room.pk}) if room else StructureChange(homes={home.pk})

    where = room.name if room else "no room"
    detail = {"home": home.name, "room": where, "order": [t.name for t in wanted]}
    return perform_layout(actor, home.account, "things_sort", where, call, apply, detail)


@dataclass
class MoveOutcome:
    """The things moved into a room, and those refused (name, why in words)."""

    moved: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def move_things(actor: Membership, things: Sequence[Thing], room: Room) -> MoveOutcome:
    """Move the chosen things into `room`, in one cloud call; a thing of another home (or
    another linked account) is refused in words, the others still move."""
    require(actor, Role.ADMIN, "Moving things between rooms")
    home = room.home
    outcome = MoveOutcome()
    moving: list[Thing] = []
    for thing in things:
        if thing.account_id != home.account_id:
            why = f"it belongs to another linked account ({thing.account.label})"
            outcome.refused.append((thing.name, f"{why}; a room takes its own account's things."))
        elif thing.home_id != home.pk:
            where = thing.home.name if thing.home else "no home"
            outcome.refused.append((thing.name, f"it is in another home ({where}); things "
                                    f"move between the rooms of their own home."))  # fmt: skip
        elif thing.room_id != room.pk:
            moving.append(thing)
    if not moving:
        return outcome
    # The cloud sets a room's things as a whole: its list before, and after.
    before = [ewelink.ThingRef(t.item_type, t.cloud_id) for t in room_things(room)]
    after = [*before, *(ewelink.ThingRef(t.item_type, t.cloud_id) for t in moving)]

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.move_things(room.cloud_id, before, after)

    def apply(_: None) -> tuple[Room, StructureChange]:
        change = StructureChange(rooms={room.pk})
        for thing in moving:
            was = (thing.home_id, thing.room_id)
            thing.room = room
            change.thing(thing, was=was)
        Thing.objects.filter(pk__in=[t.pk for t in moving]).update(room=room)
        return room, change

    detail = {"home": home.name, "things": [t.name for t in moving]}
    perform_layout(actor, home.account, "things_move", room.name, call, apply, detail)
    outcome.moved = [t.name for t in moving]
    return outcome
