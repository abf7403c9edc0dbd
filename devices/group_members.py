"""Who is in a group, as stored on its `Thing`: `extra["members"]` (deviceids, main device
first), `extra["main"]` and `extra["member_names"]` (their names as this account sees them),
written alike by sync and by the groups page. The names are kept on the row so the dashboard
draws a group card without a query of its own (its query count must not grow with the
household); they are as fresh as the last sync or group change. Imports no page code."""

from __future__ import annotations

from typing import Any

from devices.models import Thing, ThingKind

# visible_things() annotates each row with its names, so a card needs no `extra` of its own.
NAMES_ANNOTATION = "group_member_names"


def members_of(group: Any) -> list[str]:
    """The group's member deviceids, main device first."""
    return [str(m) for m in (getattr(group, "extra", None) or {}).get("members") or []]


def main_of(group: Any) -> str:
    """The deviceid of the group's main device ("" if unknown)."""
    main = (getattr(group, "extra", None) or {}).get("main")
    if main:
        return str(main)
    members = members_of(group)
    return members[0] if members else ""


def member_names(group: Any) -> list[str] | None:
    """Names of the members this account sees, main first; None when not known (a row stored
    before names were kept, until its next sync)."""
    if hasattr(group, NAMES_ANNOTATION):
        names = getattr(group, NAMES_ANNOTATION)
    else:
        names = (getattr(group, "extra", None) or {}).get("member_names")
    return [str(n) for n in names] if isinstance(names, list) else None


def names_of(account_id: int, members: list[str]) -> list[str]:
    """The names of these member deviceids among the account's devices, in their order."""
    names = dict(
        Thing.objects.filter(
            account_id=account_id, kind=ThingKind.DEVICE, cloud_id__in=members
        ).values_list("cloud_id", "name")
    )
    return [names[m] for m in members if m in names]


def refresh_names(device: Thing) -> list[Thing]:
    """After `device` was renamed here: the groups of its account that hold it, their stored
    member names brought up to date (returned, so the caller announces them)."""
    changed = []
    groups = Thing.objects.filter(account_id=device.account_id, kind=ThingKind.GROUP)
    for group in groups.order_by("pk"):
        members = members_of(group)
        if device.cloud_id in members:
            names = names_of(device.account_id, members)
            group.extra = {**(group.extra or {}), "member_names": names}
            group.save(update_fields=["extra"])
            changed.append(group)
    return changed
