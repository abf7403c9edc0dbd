"""Bring a linked account's homes, rooms and things into the database.

Fetching (async, the network) is apart from applying (one transaction, bulk queries), so the
cost of a sync is a handful of queries whatever the number of things, and a second run with
the same cloud state changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from asgiref.sync import async_to_sync, sync_to_async
from django.db import models, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from devices.models import Home, Room, Share, Thing, ThingKind
from devices.plugins.group.plugins import follow_members as group_params
from devices.structure import STRUCTURE_FIELDS, StructureChange, announce

M = TypeVar("M", bound=models.Model)
BATCH = 500


@dataclass(frozen=True)
class CloudSnapshot:
    """Everything the cloud says about an account's homes and things at one moment."""

    homes: list[ewelink.Home]
    current_home_id: str | None
    things: list[ewelink.Thing]
    taken_at: datetime = field(default_factory=timezone.now)  # when its first read began


@dataclass
class SyncResult:
    """Rows created, updated and deleted per model."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    structure: StructureChange = field(default_factory=StructureChange)
    # The snapshot was older than the one already stored, so nothing was written.
    superseded: bool = False

    @property
    def changed(self) -> bool:
        counts = (*self.created.values(), *self.updated.values(), *self.deleted.values())
        return any(counts)

    def add(self, name: str, created: int, updated: int, deleted: int) -> None:
        self.created[name] = created
        self.updated[name] = updated
        self.deleted[name] = deleted


async def fetch_snapshot(client: ewelink.EWeLinkClient) -> CloudSnapshot:
    """Homes with rooms, then every thing of every home (own, shared, groups)."""
    taken_at = timezone.now()
    homes = await client.get_homes()
    things = [thing async for thing in client.iter_things()]
    return CloudSnapshot(homes.homes, homes.current_id, things, taken_at)


def sync_account(account_id: int) -> SyncResult:
    """Fetch and apply: the one call views, tasks and the realtime worker use."""
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    snapshot = async_to_sync(_fetch_for)(account)
    return apply_snapshot(account_id, snapshot)


def reconcile_one(account_id: int) -> dict[str, Any]:
    """The full sync as a background job: its counts are the job's recorded result."""
    result = sync_account(account_id)
    return {"created": result.created, "updated": result.updated, "deleted": result.deleted}


async def async_sync_account(
    account_id: int, client: ewelink.EWeLinkClient | None = None
) -> SyncResult:
    """`sync_account` for async callers; the realtime worker passes its own client so that a
    token refresh during the sync is seen by its websocket session too."""
    if client is not None:
        snapshot = await fetch_snapshot(client)
    else:
        with scopes_disabled():
            account = await LinkedAccount.objects.aget(pk=account_id)
        snapshot = await _fetch_for(account)
    return await sync_to_async(apply_snapshot)(account_id, snapshot)


async def _fetch_for(account: LinkedAccount) -> CloudSnapshot:
    async with open_client(account) as client:
        return await fetch_snapshot(client)


def apply_snapshot(account_id: int, snapshot: CloudSnapshot) -> SyncResult:
    """Make the database say what the snapshot says, in one transaction, unless a snapshot
    taken after it is already stored (then the result is `superseded` and nothing changes)."""
    result = SyncResult()
    with scopes_disabled():
        household_id = LinkedAccount.objects.values_list("household_id", flat=True).get(
            pk=account_id
        )
    with transaction.atomic(), scope(household=household_id):
        # The row lock orders overlapping syncs of the account; the later read wins.
        account = LinkedAccount.objects.select_for_update().get(pk=account_id)
        if account.synced_as_of and snapshot.taken_at < account.synced_as_of:
            result.superseded = True
            return result
        homes = _sync_homes(account, snapshot, result)
        rooms = _sync_rooms(account, homes, snapshot, result)
        things = _sync_things(account, snapshot, homes, rooms, result)
        _sync_shares(account, things, snapshot, result)
        account.last_sync_at = timezone.now()
        account.synced_as_of = snapshot.taken_at
        account.save(update_fields=["last_sync_at", "synced_as_of"])
        result.structure.accounts.add(account_id)
        announce(household_id, result.structure)  # pages redraw what moved, on commit
    return result


def _sync_homes(
    account: LinkedAccount, snapshot: CloudSnapshot, result: SyncResult
) -> dict[str, Home]:
    desired = {
        home.id: {
            "name": home.name,
            "index": home.index,
            "is_current": home.id == snapshot.current_home_id,
        }
        for home in snapshot.homes
    }
    existing = {home.cloud_id: home for home in Home.objects.filter(account=account)}
    make = lambda key, values: Home(  # noqa: E731
        household_id=account.household_id, account=account, cloud_id=key, **values
    )
    return _reconcile(
        "homes", Home, existing, desired, make, result, touched=result.structure.homes
    )


def _sync_rooms(
    account: LinkedAccount, homes: dict[str, Home], snapshot: CloudSnapshot, result: SyncResult
) -> dict[tuple[str, str], Room]:
    desired = {
        (home.id, room.id): {"home_id": homes[home.id].pk, "name": room.name, "index": room.index}
        for home in snapshot.homes
        for room in home.rooms
    }
    existing = {
        (room.home.cloud_id, room.cloud_id): room
        for room in Room.objects.filter(home__account=account).select_related("home")
    }
    make = lambda key, values: Room(  # noqa: E731
        household_id=account.household_id, cloud_id=key[1], **values
    )
    return _reconcile(
        "rooms", Room, existing, desired, make, result, touched=result.structure.rooms
    )


def thing_fields(
    item: ewelink.Thing,
    home: Home | None,
    room: Room | None,
    devices: Iterable[ewelink.Thing] = (),
) -> dict[str, Any]:
    """Model values of one thing-list entry (device or group); `devices` are the account's
    devices, where a group's members are found when its own entry does not list them."""
    common = {
        "item_type": item.item_type,
        "name": item.name,
        "home_id": home.pk if home else None,
        "room_id": room.pk if room else None,
    }
    if item.device is not None:
        device = item.device
        return common | {
            "uiid": device.uiid,
            "brand": device.brand_name or "",
            "model": device.product_model or "",
            "fw_version": str(device.params.get("fwVersion") or ""),
            "online": device.online,
            "params": device.params,
            "tags": device.tags,
            "settings": device.settings,
            "extra": device.extra,
            "index": device.family.index,
            "owner_apikey": device.apikey,
            "parent_id": str(device.params.get("parentid") or ""),
            "shared_by": device.shared_by,
        }
    group = item.group
    assert group is not None  # a thing is a device or a group
    uiid = group.raw.get("uiid")
    devices = list(devices)
    members = group_members(group, devices)
    names = {d.id: d.name for d in devices if d.device is not None}
    return common | {
        "uiid": uiid if isinstance(uiid, int) else None,
        "online": True,
        "params": group.params,
        "extra": {
            "members": members,
            "main": group.main_device_id or "",
            "member_names": [names[m] for m in members if m in names],  # the card's
        },
        "index": group.family.index,
    }


def store_thing(account: LinkedAccount, item: ewelink.Thing, change: StructureChange) -> Thing:
    """One thing the cloud just answered with (a device added from the dashboard), written as
    a sync writes it: the same fields, placed by the same home and room ids; noted in `change`.

    Call inside a transaction, in the household's scope."""
    placement = _placement(item)
    home = Home.objects.filter(account=account, cloud_id=placement.familyid or "").first()
    room = Room.objects.filter(home=home, cloud_id=placement.roomid or "").first()
    kind = ThingKind.GROUP if item.is_group else ThingKind.DEVICE
    key = {"account": account, "kind": kind, "cloud_id": item.id}
    before = Thing.objects.select_for_update().filter(**key).first()
    values = thing_fields(item, home, room) | {"last_update_at": timezone.now()}
    thing, _ = Thing.objects.update_or_create(
        **key, defaults=values, create_defaults=values | {"household_id": account.household_id}
    )
    change.thing(thing, was=(before.home_id, before.room_id) if before else None)
    return thing


def group_members(group: ewelink.Group, devices: Iterable[ewelink.Thing]) -> list[str]:
    """A group's member deviceids, its main device first.

    cloudsim's group entry lists them (`deviceidList`); the API document gives them only on
    each device (`devGroups`), so without the list they are read from the devices. The page
    that edits groups (devices.groups) stores them the same way, so a resync agrees.
    """
    listed = group.raw.get("deviceidList")
    if isinstance(listed, list):
        members = [m for m in listed if isinstance(m, str)]
    else:
        members = [d.id for d in devices if d.device is not None and in_group(d.device, group.id)]
    main = group.main_device_id
    if main and main in members:
        members = [main, *[m for m in members if m != main]]
    return members


def in_group(device: ewelink.Device, group_id: str) -> bool:
    """Whether the device's `devGroups` names the group."""
    entries = device.raw.get("devGroups")
    return isinstance(entries, list) and any(
        isinstance(e, dict) and e.get("groupId") == group_id for e in entries
    )


def follow_members(desired: dict[tuple[str, str], dict[str, Any]]) -> None:
    """A group's state is what its members' state makes it (the cloud's is a stale echo)."""
    for (kind, _id), values in desired.items():
        if kind != ThingKind.GROUP:
            continue
        members = [desired.get((ThingKind.DEVICE, m)) for m in values["extra"]["members"]]
        values["params"] = group_params(values["params"], [m["params"] for m in members if m])


def _placement(item: ewelink.Thing) -> ewelink.models.Placement:
    if item.device is not None:
        return item.device.family
    assert item.group is not None
    return item.group.family


def _sync_things(
    account: LinkedAccount,
    snapshot: CloudSnapshot,
    homes: dict[str, Home],
    rooms: dict[tuple[str, str], Room],
    result: SyncResult,
) -> dict[tuple[str, str], Thing]:
    desired = _desired_things(snapshot.things, homes, rooms)
    follow_members(desired)
    # Lock the account's things in pk order before changing any: the realtime worker writes
    # thing states in pk order too, so the two never wait on each other in a cycle.
    locked = Thing.objects.filter(account=account).order_by("pk").select_for_update()
    existing = {(t.kind, t.cloud_id): t for t in locked}
    was = {key: (t.home_id, t.room_id) for key, t in existing.items()}
    now = timezone.now()
    make = lambda key, values: Thing(  # noqa: E731
        household_id=account.household_id,
        account=account,
        kind=key[0],
        cloud_id=key[1],
        last_update_at=now,
        **values,
    )
    structure = result.structure

    def on_change(thing: Thing, changed: set[str]) -> set[str]:
        if changed & STRUCTURE_FIELDS:
            structure.thing(thing, was=was[(thing.kind, thing.cloud_id)])
        return _touch(thing, changed)

    for key, gone in existing.items():
        if key not in desired:
            structure.thing(gone, was=was[key])  # its pk, taken before the delete
    things = _reconcile("things", Thing, existing, desired, make, result, on_change=on_change)
    for key, thing in things.items():
        if key not in existing:
            structure.thing(thing)
    return things


def _desired_things(
    items: Sequence[ewelink.Thing],
    homes: Mapping[str, Home],
    rooms: Mapping[tuple[str, str], Room],
) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, cloud id) → model values of each thing-list entry, placed in our homes/rooms."""
    desired: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        placement = _placement(item)
        home = homes.get(placement.familyid or "")
        room = rooms.get((placement.familyid or "", placement.roomid or ""))
        kind = ThingKind.GROUP if item.is_group else ThingKind.DEVICE
        desired[(kind, item.id)] = thing_fields(item, home, room, items)
    return desired


def apply_things(account_id: int, items: Sequence[ewelink.Thing]) -> SyncResult:
    """Write what the cloud just said about SOME of an account's things (a "Refresh"):
    the same fields and rules as a full sync, for these things only; none is created or
    deleted. Every open page redraws the things whose state or place changed, and the
    account's live worker reloads them (its in-memory state would be older)."""
    result = SyncResult()
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    with transaction.atomic(), scope(household=account.household_id):
        homes = {home.cloud_id: home for home in Home.objects.filter(account=account)}
        rooms = {
            (room.home.cloud_id, room.cloud_id): room
            for room in Room.objects.filter(home__account=account).select_related("home")
        }
        desired = _desired_things(items, homes, rooms)
        locked = Thing.objects.filter(account=account, cloud_id__in={k[1] for k in desired})
        existing = {
            (t.kind, t.cloud_id): t
            for t in locked.order_by("pk").select_for_update()  # the order sync locks in
            if (t.kind, t.cloud_id) in desired
        }
        desired = {key: values for key, values in desired.items() if key in existing}
        _follow_stored_members(account, desired)
        was = {key: (t.home_id, t.room_id) for key, t in existing.items()}
        structure = result.structure

        def on_change(thing: Thing, changed: set[str]) -> set[str]:
            # A state change too: no worker frame tells the pages about it.
            structure.thing(thing, was=was[(thing.kind, thing.cloud_id)])
            return _touch(thing, changed)

        _reconcile("things", Thing, existing, desired, _never_made, result, on_change=on_change)
        announce(account.household_id, structure)
    return result


def _follow_stored_members(account: LinkedAccount, desired: dict[Any, dict[str, Any]]) -> None:
    """`follow_members` for refreshed groups whose members were not refreshed with them."""
    members = {
        member
        for (kind, _id), values in desired.items()
        if kind == ThingKind.GROUP
        for member in values["extra"]["members"]
    }
    stored = Thing.objects.filter(account=account, kind=ThingKind.DEVICE, cloud_id__in=members)
    known: dict[tuple[str, str], dict[str, Any]] = {
        (ThingKind.DEVICE, t.cloud_id): {"params": t.params} for t in stored
    }
    follow_members({**known, **desired})  # the groups' values are desired's own dicts


def _never_made(key: Any, values: dict[str, Any]) -> Thing:
    raise LookupError(f"refresh creates no things ({key})")


def _touch(thing: Thing, changed: set[str]) -> set[str]:
    """A thing whose state changed while we were not listening was updated now."""
    if changed & {"params", "online"}:
        thing.last_update_at = timezone.now()
        return {"last_update_at"}
    return set()


def _sync_shares(
    account: LinkedAccount,
    things: dict[tuple[str, str], Thing],
    snapshot: CloudSnapshot,
    result: SyncResult,
) -> None:
    desired: dict[tuple[int, str], dict[str, Any]] = {}
    for item in snapshot.things:
        if item.device is None:
            continue
        thing = things[(ThingKind.DEVICE, item.id)]
        for share in item.device.share_to:
            desired[(thing.pk, str(share.get("apikey", "")))] = {
                "thing_id": thing.pk,
                "to_identifier": str(share.get("email") or share.get("phoneNumber") or ""),
                "to_nickname": str(share.get("nickname") or ""),
                "permit": _int(share.get("permit")),
                "comment": str(share.get("comment") or ""),
                "shared_at": _from_ms(share.get("shareTime")),
            }
    existing = {
        (share.thing_id, share.to_apikey): share
        for share in Share.objects.filter(thing__account=account)
    }
    make = lambda key, values: Share(  # noqa: E731
        household_id=account.household_id, to_apikey=key[1], **values
    )
    _reconcile("shares", Share, existing, desired, make, result)


def _reconcile(
    name: str,
    model: type[M],
    existing: dict[Any, M],
    desired: Mapping[Any, dict[str, Any]],
    make: Callable[[Any, dict[str, Any]], M],
    result: SyncResult,
    on_change: Callable[[M, set[str]], set[str]] | None = None,
    touched: set[int] | None = None,
) -> dict[Any, M]:
    """Create, update (changed fields only) and delete so that rows match `desired`.

    `touched`, if given, collects the pks of every row created, updated or deleted.
    """
    to_create = [make(key, values) for key, values in desired.items() if key not in existing]
    changed_fields: set[str] = set()
    to_update = []
    for key, obj in existing.items():
        values = desired.get(key)
        if values is None:
            continue
        changed = _assign_changes(obj, values)
        if changed and on_change is not None:
            changed |= on_change(obj, changed)
        if changed:
            changed_fields |= changed
            to_update.append(obj)
    gone = [obj.pk for key, obj in existing.items() if key not in desired]
    model.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=BATCH)
    if gone:
        model.objects.filter(pk__in=gone).delete()
    result.add(name, len(to_create), len(to_update), len(gone))
    if touched is not None:
        touched.update(gone, (obj.pk for obj in [*to_create, *to_update]))
    kept = {key: obj for key, obj in existing.items() if key in desired}
    created = dict(zip((k for k in desired if k not in existing), to_create, strict=True))
    return kept | created


def _assign_changes(obj: models.Model, values: dict[str, Any]) -> set[str]:
    changed = set()
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.add(name)
    return changed


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _from_ms(value: object) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return None
