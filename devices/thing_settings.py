"""A thing's settings from its page: name, room, channel names, notifications, options,
history and removal. Each function checks the role, validates, calls the cloud and applies
the change locally only once the cloud accepted it (devices.thing_actions.perform).

Concurrent edits: a form carries what the person saw (the name, the channel names, the
settings, the option values), and a change is refused in words when the thing changed in
between, instead of silently overwriting somebody else's change.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Role
from devices.group_members import refresh_names
from devices.models import HistoryEntry, Room, Thing, ThingKind
from devices.plugins.base import InvalidControl
from devices.presentation import plugin_for
from devices.structure import StructureChange
from devices.thing_actions import ActionFailed, perform
from ewelink.models import ThingRef

MAX_NAME = 60  # what the eWeLink app lets a person type
NOTIFY_SETTINGS = (
    ("opsNotify", "Notify me when someone operates it"),
    ("opsHistory", "Keep its operating history"),
    ("alarmNotify", "Send alarms from it"),
)
CHANGED_MEANWHILE = "Someone changed this device while you were editing; look again and retry."


def require(actor: Membership, minimum: str, what: str) -> None:
    if not actor.has_role(minimum):
        label = Role(minimum).label.lower()
        raise PermissionDenied(f"{what} needs the {label} role or higher.")


def require_own(thing: Thing, what: str) -> None:
    """Changes only the owner's account may make (the cloud answers 406 to a sharee)."""
    if thing.is_shared_with_us:
        raise ActionFailed(f"{what} is for the owner of the device; it is shared with us.")


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ActionFailed("Give it a name.")
    if len(name) > MAX_NAME:
        raise ActionFailed(f"A name has at most {MAX_NAME} characters.")
    return name


def rename(actor: Membership, thing: Thing, raw_name: str, seen_name: str) -> Thing:
    require(actor, Role.ADMIN, "Renaming")
    require_own(thing, "Renaming")
    name = clean_name(raw_name)
    if seen_name != thing.name:
        raise ActionFailed(CHANGED_MEANWHILE)
    if name == thing.name:
        return thing

    async def call(client: Any) -> None:
        if thing.kind == ThingKind.GROUP:
            await client.rename_group(thing.cloud_id, name)
        else:
            await client.update_device_info(thing.cloud_id, name=name)

    def apply(_: None) -> StructureChange:
        Thing.objects.filter(pk=thing.pk).update(name=name)
        thing.name = name
        change = StructureChange()
        change.thing(thing)
        if thing.kind == ThingKind.DEVICE:  # its groups' cards list it by name
            for group in refresh_names(thing):
                change.thing(group)
        return change

    perform(actor, thing, "rename", call, apply, detail={"from": seen_name, "to": name})
    return thing


def move(actor: Membership, thing: Thing, room: Room | None) -> Thing:
    """To another room of its home, or out of every room (`room` None)."""
    require(actor, Role.ADMIN, "Moving")
    if thing.home_id is None:
        raise ActionFailed("This device is in no home, so it has no rooms to move to.")
    if room is not None and room.home_id != thing.home_id:
        raise ActionFailed("That room is in another home; a device moves within its home.")
    if (room.pk if room else None) == thing.room_id:
        return thing
    ref = ThingRef(thing.item_type, thing.cloud_id)
    old_room = thing.room
    # The cloud sets a room's things as a whole: its list before and after.
    target = room or old_room
    assert target is not None  # moving out of "no room" into "no room" returned above
    before = [ThingRef(t.item_type, t.cloud_id) for t in room_things(target)]
    after = [*before, ref] if room is not None else [r for r in before if r != ref]

    async def call(client: Any) -> None:
        await client.move_things(target.cloud_id, before, after)

    def apply(_: None) -> StructureChange:
        was = (thing.home_id, thing.room_id)
        Thing.objects.filter(pk=thing.pk).update(room=room)
        thing.room = room
        change = StructureChange()
        change.thing(thing, was=was)
        return change

    detail = {"from": str(old_room or "no room"), "to": str(room or "no room")}
    perform(actor, thing, "move", call, apply, detail=detail)
    return thing


def room_things(room: Room) -> list[Thing]:
    return list(Thing.objects.filter(room=room).order_by("index", "pk"))


def set_channel_names(
    actor: Membership, thing: Thing, names: dict[int, str], seen: dict[str, str]
) -> Thing:
    """Name the channels of a multi-channel device (`ck_channel_name`, merged into tags)."""
    require(actor, Role.ADMIN, "Naming channels")
    require_own(thing, "Naming channels")
    current = dict((thing.tags or {}).get("ck_channel_name") or {})
    if {str(k): str(v) for k, v in current.items()} != seen:
        raise ActionFailed(CHANGED_MEANWHILE)
    merged = dict(current)
    for outlet, raw in names.items():
        name = " ".join(raw.split())
        if len(name) > MAX_NAME:
            raise ActionFailed(f"A channel name has at most {MAX_NAME} characters.")
        if name:
            merged[str(outlet)] = name
        else:
            merged.pop(str(outlet), None)
    if merged == current:
        return thing

    async def call(client: Any) -> None:
        # `merge` keeps the device's other tags; the channel names go as one whole object.
        await client.set_tags(thing.cloud_id, {"ck_channel_name": merged}, merge=True)

    def apply(_: None) -> StructureChange:
        thing.tags = {**(thing.tags or {}), "ck_channel_name": merged}
        Thing.objects.filter(pk=thing.pk).update(tags=thing.tags)
        change = StructureChange()
        change.thing(thing)
        return change

    perform(actor, thing, "channel_names", call, apply, detail={"names": merged})
    return thing


def set_notifications(
    actor: Membership, thing: Thing, wanted: dict[str, bool], seen: dict[str, bool]
) -> Thing:
    require(actor, Role.ADMIN, "Changing notifications")
    require_own(thing, "Changing notifications")
    current = notification_values(thing)
    if current != seen:
        raise ActionFailed(CHANGED_MEANWHILE)
    changed = {k: int(v) for k, v in wanted.items() if k in current and v != current[k]}
    if not changed:
        return thing

    async def call(client: Any) -> None:
        await client.set_device_settings(thing.cloud_id, changed)

    def apply(_: None) -> StructureChange:
        thing.settings = {**(thing.settings or {}), **changed}
        Thing.objects.filter(pk=thing.pk).update(settings=thing.settings)
        change = StructureChange()
        change.thing(thing)
        return change

    perform(actor, thing, "notifications", call, apply, detail=changed)
    return thing


def notification_values(thing: Thing) -> dict[str, bool]:
    """The three switches as the cloud last said (alarmNotify defaults to on, the others off)."""
    stored = thing.settings or {}
    defaults = {"opsNotify": 0, "opsHistory": 0, "alarmNotify": 1}
    return {key: bool(stored.get(key, defaults[key])) for key, _label in NOTIFY_SETTINGS}


def set_option(actor: Membership, thing: Thing, name: str, value: Any, seen: Any) -> Thing:
    """One of the device's own options (power-on state, inching, LED)."""
    require(actor, Role.ADMIN, "Changing the device's options")
    if thing.kind != ThingKind.DEVICE:
        raise ActionFailed("A group has no options of its own.")
    plugin = plugin_for(thing)
    current = {c.name: c.value for c in plugin.options(thing.params, thing.tags)}
    if name not in current:
        raise ActionFailed("This device has no such option.")
    if str(current[name]) != str(seen):
        raise ActionFailed(CHANGED_MEANWHILE)
    try:
        params = plugin.option_command(name, value, thing.params, thing.tags)
    except InvalidControl as exc:
        raise ActionFailed(str(exc)) from None

    async def call(client: Any) -> None:
        await client.set_status(thing.cloud_id, params)

    # The new params come back as the device's `update` through the live socket, which is
    # what changes the stored state (and every page): no local write to race it.
    perform(actor, thing, "option", call, detail={"option": name, "params": params})
    return thing


def may_clear_history(actor: Membership, thing: Thing) -> None:
    require(actor, Role.ADMIN, "Clearing the history")
    require_own(thing, "Clearing the history")


def clear_history(actor: Membership, thing: Thing) -> int:
    may_clear_history(actor, thing)

    async def call(client: Any) -> None:
        await client.clear_history(thing.cloud_id)

    def apply(_: None) -> StructureChange:
        HistoryEntry.objects.filter(thing=thing).delete()
        change = StructureChange()
        change.thing(thing)
        return change

    count = HistoryEntry.objects.filter(thing=thing).count()
    perform(actor, thing, "clear_history", call, apply, detail={"entries": count})
    return count


def remove(actor: Membership, thing: Thing, typed_name: str) -> None:
    """Delete an own device (or group), or drop a device shared with us, from the cloud."""
    require(actor, Role.ADMIN, "Removing a device")
    if typed_name.strip() != thing.name:
        raise ActionFailed("Type the device's name exactly to confirm.")

    async def call(client: Any) -> None:
        if thing.kind == ThingKind.GROUP:
            await client.delete_group(thing.cloud_id)
        else:
            await client.delete_device(thing.cloud_id)

    def apply(_: None) -> StructureChange:
        change = StructureChange()
        change.thing(thing, was=(thing.home_id, thing.room_id))
        thing.delete()
        return change

    action = "unshare_self" if thing.is_shared_with_us else "remove"
    perform(actor, thing, action, call, apply, detail={"name": thing.name})
