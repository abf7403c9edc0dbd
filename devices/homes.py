"""Homes and rooms of a linked account, managed from the homes page: create, rename, choose
the current home, delete; add, rename, reorder and delete rooms.

Each change runs the cloud call first (with the account's client); only once the cloud
accepted it are the Home/Room rows changed, in one transaction that also announces a
`StructureChange`, so every open dashboard redraws the homes and rooms concerned. Each
attempt is recorded as a `LayoutAction` (a thing's `ThingAction` has no account to list by,
and a home is not a thing). Admins and owners only; a cloud refusal changes nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import Count

import ewelink
from accounts.models import LinkedAccount, LinkStatus, Membership, Role
from devices.models import Home, LayoutAction, Room, Thing
from devices.structure import StructureChange, announce
from devices.thing_actions import ActionFailed, CloudCall, _run, cloud_message
from devices.thing_settings import require

T = TypeVar("T")
MAX_NAME = 60  # what the eWeLink app lets a person type
MAX_ROOMS = 100  # per home, the API document's limit
ONLY_HOME = (
    "This is the account's only home, and the eWeLink cloud never deletes an account's only "
    "home (error 20003): create another home first, then delete this one."
)
GONE = (
    "The eWeLink cloud no longer knows this {what}: it was probably changed in the eWeLink "
    "app. Resync the account to see its homes as they are now."
)
ACTION_WORDS = {
    "home_add": "created the home",
    "home_rename": "renamed the home",
    "home_current": "made current the home",
    "home_delete": "deleted the home",
    "room_add": "added the room",
    "room_rename": "renamed the room",
    "room_sort": "moved the room",
    "room_delete": "deleted the room",
}


@dataclass
class AccountHomes:
    """One linked account on the homes page: its homes (rooms prefetched, in order)."""

    account: LinkedAccount
    homes: list[Home] = field(default_factory=list)  # each with `thing_count`


def homes_page(account_pk: int | None = None) -> list[AccountHomes]:
    """Every live account of the household (or one) with its homes and rooms in order."""
    accounts = LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED).order_by("label", "pk")
    if account_pk is not None:
        accounts = accounts.filter(pk=account_pk)
    listed = [AccountHomes(account) for account in accounts]
    by_account = {entry.account.pk: entry for entry in listed}
    homes = Home.objects.filter(account__in=by_account).prefetch_related("rooms")
    homes = homes.annotate(thing_count=Count("things"))
    for home in homes.order_by("index", "name", "pk"):
        by_account[home.account_id].homes.append(home)
    return listed


def recent_actions(limit: int = 20) -> list[LayoutAction]:
    """Home and room changes (group changes are the groups page's: devices.groups)."""
    actions = LayoutAction.objects.filter(action__in=ACTION_WORDS)
    return list(actions.select_related("user", "account")[:limit])


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

    return _perform(actor, account, "home_add", name, call, apply, {"rooms": rooms})


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
    return _perform(actor, home.account, "home_rename", home.name, call, apply, detail)


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

    return _perform(actor, home.account, "home_current", home.name, call, apply)


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
    return _perform(actor, home.account, "home_delete", home.name, call, apply, detail)


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
    return _perform(actor, home.account, "room_add", name, call, apply, detail)


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
    return _perform(actor, room.home.account, "room_rename", room.name, call, apply, detail)


def move_room(actor: Membership, room: Room, step: int) -> Room:
    """One place earlier (`step` -1) or later (+1) among its home's rooms.

    The cloud takes the whole order of the home's rooms at once."""
    require(actor, Role.ADMIN, "Reordering rooms")
    home = room.home
    order = list(home.rooms.order_by("index", "name", "pk"))
    at = next(i for i, r in enumerate(order) if r.pk == room.pk)
    to = at + step
    if step not in (-1, 1) or not 0 <= to < len(order):
        return room
    order[at], order[to] = order[to], order[at]

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.sort_rooms([r.cloud_id for r in order], home.cloud_id)

    def apply(_: None) -> tuple[Room, StructureChange]:
        for index, each in enumerate(order):
            each.index = index
        Room.objects.bulk_update(order, ["index"])
        return room, StructureChange(homes={home.pk})

    detail = {"home": home.name, "order": [r.name for r in order]}
    return _perform(actor, home.account, "room_sort", room.name, call, apply, detail)


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
    return _perform(actor, home.account, "room_delete", room.name, call, apply, detail)


def _move_things(things: Any, change: StructureChange, *, home: Home) -> None:
    """Into `home`, in no room: where the cloud puts the things of a deleted home or room."""
    moved: Sequence[Thing] = list(things)
    for thing in moved:
        was = (thing.home_id, thing.room_id)
        thing.home, thing.room = home, None
        change.thing(thing, was=was)
    Thing.objects.filter(pk__in=[t.pk for t in moved]).update(home=home, room=None)


# ---- the cloud first, then the rows, then the record -----------------------------------


def _perform(
    actor: Membership,
    account: LinkedAccount,
    action: str,
    subject: str,
    call: CloudCall[T],
    apply: Callable[[T], tuple[Any, StructureChange]],
    detail: dict[str, Any] | None = None,
) -> Any:
    """Run `call` with the account's client; only if the cloud accepted, `apply` and announce.

    Raises ActionFailed (recorded as failed, nothing changed here) when the cloud refuses."""
    try:
        result = async_to_sync(_run)(account, call)
    except ewelink.EWeLinkError as exc:
        message = explain(exc, action)
        _record(actor, account, action, subject, "failed", message, detail)
        raise ActionFailed(message) from None
    with transaction.atomic():
        done, change = apply(result)
        announce(account.household_id, change)
        _record(actor, account, action, subject, "ok", "", detail)
    return done


def explain(error: ewelink.EWeLinkError, action: str) -> str:
    """The cloud's refusals of a layout change, in words."""
    if error.code == 20003:
        return ONLY_HOME
    if error.code == 20002:
        return "The eWeLink cloud allows no more homes or rooms on this account's plan."
    if isinstance(error, ewelink.NotFoundError):
        return GONE.format(what="home" if action.startswith("home") else "room")
    return cloud_message(error)


def _record(
    actor: Membership,
    account: LinkedAccount,
    action: str,
    subject: str,
    result: str,
    message: str = "",
    detail: dict[str, Any] | None = None,
) -> LayoutAction:
    return LayoutAction.objects.create(
        household_id=account.household_id,
        account=account,
        user_id=actor.user_id,
        action=action,
        subject=subject[:200],
        detail=detail or {},
        result=result,
        message=message[:300],
    )
