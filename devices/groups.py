"""Device groups of a linked account, managed from the groups page: create a group around a
main device, rename it, change its members, delete it.

A group is a `Thing` of kind GROUP (thing list `itemType` 3, no deviceid); its members (main
device first), main device and member names are in `extra` (devices.group_members), written
the way sync writes them (devices.sync.thing_fields), so a resync agrees with what this
module wrote. Each change runs the cloud call first; only once the cloud
accepted it are the rows changed, in one transaction that announces a `StructureChange` (every
open dashboard redraws the group's card), and each attempt is recorded as a `LayoutAction`.
Members must be of the main device's kind (same UIID): the cloud silently leaves out any
other, so we refuse them in words before asking it. Admins and owners only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ewelink
from accounts.models import ROLE_RANK, LinkedAccount, LinkStatus, Membership, Role
from devices.account_pages import account_fragments, part_key, part_order
from devices.group_members import main_of, members_of, names_of
from devices.homes import clean_name
from devices.layout_actions import perform_layout
from devices.models import Home, LayoutAction, Room, Thing, ThingKind
from devices.plugins.group.plugins import follow_members
from devices.presentation import plugin_for
from devices.structure import StructureChange
from devices.sync import in_group, thing_fields
from devices.thing_actions import ActionFailed, cloud_message
from devices.thing_settings import require

MAX_MEMBERS = 30  # the API document's limit for a group's device list, main device included
GONE = (
    "The eWeLink cloud no longer knows this group or one of its devices: it was probably "
    "changed in the eWeLink app. Resync the account to see its groups as they are now."
)
PLAN_LIMIT = "The eWeLink cloud allows no more groups on this account's plan (error 20002)."
ACTION_WORDS = {
    "group_add": "created the group",
    "group_rename": "renamed the group",
    "group_members": "changed the members of the group",
    "group_delete": "deleted the group",
}


@dataclass
class GroupEntry:
    """One group on the page: its member devices (main first) and what it shows."""

    group: Thing
    main: Thing | None
    members: list[Thing]
    unseen: int  # members the cloud lists that this account no longer sees
    candidates: list[Thing]  # devices that may be members (the main device's kind)
    state: str  # "On", "Off", "2 of 4 on"

    @property
    def member_pks(self) -> set[int]:
        return {m.pk for m in self.members}


@dataclass
class AccountGroups:
    """One linked account on the groups page."""

    account: LinkedAccount
    groups: list[GroupEntry] = field(default_factory=list)
    devices: list[Thing] = field(default_factory=list)  # every device that can be grouped
    order: str = ""  # its place on the page

    @property
    def key(self) -> str:
        return part_key("groups", self.account.pk)

    @property
    def mains(self) -> list[Thing]:
        """Devices a new group may be built around: the account's own."""
        return [d for d in self.devices if d.item_type == 1]


def groupable(device: Thing) -> bool:
    """A group sends `switch` or `switches` to its members (devices.plugins.group), so only
    devices of a known kind that have them can be grouped."""
    params = device.params or {}
    return (
        device.kind == ThingKind.DEVICE
        and device.uiid is not None
        and ("switch" in params or "switches" in params)
    )


def compatible(main: Thing, device: Thing) -> bool:
    """The cloud's rule: a group holds devices of its main device's UIID only."""
    return device.kind == ThingKind.DEVICE and device.uiid == main.uiid


def groups_page() -> list[AccountGroups]:
    """Every live account of the household with its groups and the devices that can join."""
    accounts = LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED).order_by("label", "pk")
    listed = {a.pk: AccountGroups(a, order=part_order(n)) for n, a in enumerate(accounts)}
    things = Thing.objects.filter(account__in=listed).order_by("index", "name", "pk")
    devices: dict[int, dict[str, Thing]] = {pk: {} for pk in listed}
    groups: list[Thing] = []
    for thing in things:
        if thing.kind == ThingKind.GROUP:
            groups.append(thing)
        else:
            devices[thing.account_id][thing.cloud_id] = thing
    for pk, entry in listed.items():
        entry.devices = [d for d in devices[pk].values() if groupable(d)]
    for group in groups:
        listed[group.account_id].groups.append(_entry(group, devices[group.account_id]))
    return list(listed.values())


def _entry(group: Thing, devices: dict[str, Thing]) -> GroupEntry:
    ids = members_of(group)
    main = devices.get(main_of(group))
    members = [devices[m] for m in ids if m in devices]
    candidates = [d for d in devices.values() if main is not None and compatible(main, d)]
    plugin = plugin_for(group)
    state = plugin.summary(plugin.state(group.params, group.tags))
    return GroupEntry(group, main, members, len(ids) - len(members), candidates, state)


def recent_actions(limit: int = 20) -> list[LayoutAction]:
    chosen = LayoutAction.objects.filter(action__in=ACTION_WORDS)
    actions = list(chosen.select_related("user", "account")[:limit])
    for action in actions:
        action.words = ACTION_WORDS[action.action]  # type: ignore[attr-defined]
    return actions


def page_context(role: str) -> dict[str, Any]:
    return {
        "accounts": groups_page(),
        "can_manage": ROLE_RANK[Role(role)] >= ROLE_RANK[Role.ADMIN],
        "actions": recent_actions(),
        "max_members": MAX_MEMBERS,
    }


def groups_fragments(change: Any, params: Mapping[str, str]) -> list[Any]:
    """Every part of the groups page after any structure change (view "groups")."""
    context = page_context(params.get("role") or Role.GUEST)
    return account_fragments("groups", context["accounts"], context)


# ---- choosing devices -------------------------------------------------------------------


def _devices(account: LinkedAccount, pks: Iterable[str]) -> list[Thing]:
    """The account's devices of these pks (form values), in the order given; a value that is
    not one of them is refused in words."""
    wanted = []
    for raw in pks:
        if not raw.isdigit():
            raise ActionFailed("Choose devices from the list.")
        if int(raw) not in wanted:
            wanted.append(int(raw))
    found = Thing.objects.filter(account=account, kind=ThingKind.DEVICE).in_bulk(wanted)
    if len(found) != len(wanted):
        raise ActionFailed(f"Only devices of {account.label} can be in its groups.")
    return [found[pk] for pk in wanted]


def check_members(main: Thing, members: Sequence[Thing]) -> list[Thing]:
    """The main device first, then the other members; each must be of the main device's kind."""
    others = [m for m in members if m.pk != main.pk]
    wrong = [m for m in others if not compatible(main, m)]
    if wrong:
        names = ", ".join(m.name for m in wrong)
        raise ActionFailed(
            f"{names} cannot join a group around {main.name}: a group holds only devices of "
            f"its main device's kind (UIID {main.uiid}), and the eWeLink cloud would leave "
            "the others out. Nothing was changed."
        )
    if len(others) + 1 > MAX_MEMBERS:
        raise ActionFailed(f"A group holds at most {MAX_MEMBERS} devices, its main one included.")
    return [main, *others]


# ---- the actions ------------------------------------------------------------------------


def add_group(
    actor: Membership,
    account: LinkedAccount,
    raw_name: str,
    main_pk: str,
    member_pks: Sequence[str],
) -> Thing:
    """A new group around `main_pk` (one of the account's own devices) with these members."""
    require(actor, Role.ADMIN, "Creating a group")
    name = clean_name(raw_name, "A group")
    if not main_pk:
        raise ActionFailed("Choose the group's main device.")
    (main,) = _devices(account, [main_pk])
    if main.item_type != 1 or not groupable(main):
        raise ActionFailed(f"{main.name} cannot be the main device of a group.")
    members = check_members(main, _devices(account, member_pks))
    home, room = main.home, main.room

    async def call(client: ewelink.EWeLinkClient) -> ewelink.GroupCreated:
        return await client.add_group(
            name=name,
            main_device_id=main.cloud_id,
            deviceids=[m.cloud_id for m in members[1:]],
            familyid=home.cloud_id if home else None,
            roomid=room.cloud_id if room else None,
            sort=2,
        )

    def apply(made: ewelink.GroupCreated) -> tuple[Thing, StructureChange]:
        item = made.group
        assert item.group is not None  # the cloud answers with the group
        place = item.group.family
        home_row = Home.objects.filter(account=account, cloud_id=place.familyid or "").first()
        room_row = Room.objects.filter(home=home_row, cloud_id=place.roomid or "").first()
        values = thing_fields(item, home_row, room_row, made.updated_things)
        extra = values["extra"]
        if not extra["members"]:  # neither list nor devGroups: what we asked for
            extra["members"] = [m.cloud_id for m in members]
        extra["member_names"] = names_of(account.pk, extra["members"])
        values["params"] = _follow(account, values["params"], values["extra"]["members"])
        group = Thing.objects.create(
            household_id=account.household_id, account=account, kind=ThingKind.GROUP,
            cloud_id=item.id, **values,
        )  # fmt: skip
        change = StructureChange()
        change.thing(group)
        return group, change

    detail = {"main": main.name, "members": [m.name for m in members]}
    return perform_layout(actor, account, "group_add", name, call, apply, detail, words=explain)


def rename_group(actor: Membership, group: Thing, raw_name: str) -> Thing:
    require(actor, Role.ADMIN, "Renaming a group")
    name = clean_name(raw_name, "A group")
    if name == group.name:
        return group

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.rename_group(group.cloud_id, name)

    def apply(_: None) -> tuple[Thing, StructureChange]:
        Thing.objects.filter(pk=group.pk).update(name=name)
        group.name = name
        change = StructureChange()
        change.thing(group)
        return group, change

    detail = {"from": group.name, "to": name}
    return perform_layout(
        actor, group.account, "group_rename", group.name, call, apply, detail, words=explain
    )


def set_members(actor: Membership, group: Thing, member_pks: Sequence[str]) -> Thing:
    """Replace the group's members (`/group/update`); the main device always stays."""
    require(actor, Role.ADMIN, "Changing a group's members")
    account = group.account
    ids = members_of(group)
    devices = Thing.objects.filter(account=account, kind=ThingKind.DEVICE)
    main = devices.filter(cloud_id=main_of(group)).first()
    if main is None:
        raise ActionFailed(GONE)
    members = check_members(main, _devices(account, member_pks))
    wanted = [m.cloud_id for m in members]
    if wanted == ids:
        return group

    async def call(client: ewelink.EWeLinkClient) -> list[ewelink.Thing]:
        return await client.set_group_devices(group.cloud_id, wanted)

    def apply(updated: list[ewelink.Thing]) -> tuple[Thing, StructureChange]:
        now = members_after(group.cloud_id, wanted, updated)
        names = names_of(account.pk, now)
        group.extra = {
            **(group.extra or {}), "members": now, "main": main.cloud_id, "member_names": names
        }  # fmt: skip
        group.params = _follow(account, group.params, now)
        Thing.objects.filter(pk=group.pk).update(extra=group.extra, params=group.params)
        change = StructureChange()
        change.thing(group)
        return group, change

    names = {m.cloud_id: m.name for m in members} | dict(
        Thing.objects.filter(account=account, cloud_id__in=ids).values_list("cloud_id", "name")
    )
    detail = {
        "added": [names[m] for m in wanted if m not in ids],
        "removed": [names.get(m, m) for m in ids if m not in wanted],
    }
    return perform_layout(
        actor, account, "group_members", group.name, call, apply, detail, words=explain
    )


def members_after(group_id: str, wanted: list[str], updated: list[ewelink.Thing]) -> list[str]:
    """Who is in the group after `/group/update`: each device the cloud returned says so in
    its `devGroups`; one it did not return kept what we asked."""
    said = {t.id: _names_group(t, group_id) for t in updated if t.device is not None}
    return [m for m in wanted if said.get(m, True)]


def _names_group(thing: ewelink.Thing, group_id: str) -> bool:
    assert thing.device is not None
    return in_group(thing.device, group_id) if "devGroups" in thing.device.raw else True


def delete_group(actor: Membership, group: Thing) -> Thing:
    """Delete the group; its devices stay as they are."""
    require(actor, Role.ADMIN, "Deleting a group")

    async def call(client: ewelink.EWeLinkClient) -> None:
        await client.delete_group(group.cloud_id)

    def apply(_: None) -> tuple[Thing, StructureChange]:
        change = StructureChange()
        change.thing(group, was=(group.home_id, group.room_id))  # its pk, before the delete
        Thing.objects.filter(pk=group.pk).delete()
        return group, change

    return perform_layout(
        actor, group.account, "group_delete", group.name, call, apply, words=explain
    )


def _follow(account: LinkedAccount, params: dict[str, Any], members: list[str]) -> dict[str, Any]:
    """The group's state as its members' make it (as sync does)."""
    states = Thing.objects.filter(account=account, kind=ThingKind.DEVICE, cloud_id__in=members)
    return follow_members(params, list(states.values_list("params", flat=True)))


def explain(error: ewelink.EWeLinkError) -> str:
    """The cloud's refusals of a group change, in words."""
    if error.code == 20002:
        return PLAN_LIMIT
    if isinstance(error, ewelink.NotFoundError):
        return GONE
    if isinstance(error, ewelink.BadRequestError):
        return (
            "The eWeLink cloud refused this group change as asked (a group must keep its main "
            f"device, and hold 1 to {MAX_MEMBERS} devices). Nothing was changed."
        )
    return cloud_message(error)
