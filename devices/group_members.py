"""Who is in a group, as stored on its `Thing` (`extra["members"]`, main device first): read by
the groups page, the dashboard's group card and its cache key. Imports no page code."""

from __future__ import annotations

from devices.models import Thing, ThingKind


def members_of(group: Thing) -> list[str]:
    """The group's member deviceids, main device first."""
    return [str(m) for m in (getattr(group, "extra", None) or {}).get("members") or []]


def main_of(group: Thing) -> str:
    """The deviceid of the group's main device ("" if unknown)."""
    main = (getattr(group, "extra", None) or {}).get("main")
    if main:
        return str(main)
    members = members_of(group)
    return members[0] if members else ""


def member_names(group: Thing) -> list[str]:
    """Names of the members this account sees, main first (the dashboard's group card).

    Kept on the instance: the card and its cache key both ask, and a group that changed
    members is drawn anew (devices.card_cache keys on these names)."""
    cached: list[str] | None = getattr(group, "_member_names", None)
    if cached is None:
        ids = members_of(group)
        if not ids:  # no query for an empty group (or a card drawn from a stand-in)
            group._member_names = cached = []  # type: ignore[attr-defined]
            return cached
        names = dict(
            Thing.objects.filter(
                account_id=group.account_id, kind=ThingKind.DEVICE, cloud_id__in=ids
            ).values_list("cloud_id", "name")
        )
        cached = [names[m] for m in ids if m in names]
        group._member_names = cached  # type: ignore[attr-defined]
    return cached
