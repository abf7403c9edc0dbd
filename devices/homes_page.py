"""The homes page drawn: every live account's homes and rooms, and the recent layout changes.

The page is live: after any structure change each open homes page gets every account's part
and the list of recent changes again as fragments (devices.fragments, view "homes"), drawn
for the role of the person looking (only admins and owners get forms). A part is put in place
by its `data-fragment` in `data-order`; one the person is typing in waits until they leave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.template.loader import render_to_string

from accounts.models import ROLE_RANK, LinkedAccount, LinkStatus, Role
from devices.models import Home, LayoutAction

if TYPE_CHECKING:
    from devices.fragments import Change, Fragment

ACTION_WORDS = {
    "home_add": "created the home",
    "home_rename": "renamed the home",
    "home_current": "made current the home",
    "home_delete": "deleted the home",
    "room_add": "added the room",
    "room_rename": "renamed the room",
    "room_sort": "moved the room",
    "rooms_order": "reordered the rooms of",
    "room_delete": "deleted the room",
    "things_sort": "arranged the cards of",
    "device_add": "added the device",
    "things_move": "moved things into the room",
}


@dataclass
class AccountHomes:
    """One linked account on the homes page: its homes (rooms prefetched, in order)."""

    account: LinkedAccount
    homes: list[Home] = field(default_factory=list)  # each with `thing_count`
    order: str = ""  # its place on the page

    @property
    def key(self) -> str:
        return f"homes-account-{self.account.pk}"


def account_homes() -> list[AccountHomes]:
    """Every live account of the household with its homes and rooms in order."""
    accounts = LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED).order_by("label", "pk")
    listed = [AccountHomes(a, order=f"1{n:04d}") for n, a in enumerate(accounts)]
    by_account = {entry.account.pk: entry for entry in listed}
    homes = Home.objects.filter(account__in=by_account).prefetch_related("rooms")
    homes = homes.annotate(thing_count=Count("things"))
    for home in homes.order_by("index", "name", "pk"):
        by_account[home.account_id].homes.append(home)
    return listed


def recent_actions(limit: int = 20) -> list[LayoutAction]:
    """Home, room and arranging changes (group changes are the groups page's)."""
    chosen = LayoutAction.objects.filter(action__in=ACTION_WORDS)
    actions = list(chosen.select_related("user", "account")[:limit])
    for action in actions:
        action.words = ACTION_WORDS.get(action.action, action.action)  # type: ignore[attr-defined]
    return actions


def page_context(role: str) -> dict[str, Any]:
    return {
        "accounts": account_homes(),
        "can_manage": ROLE_RANK[Role(role)] >= ROLE_RANK[Role.ADMIN],
        "can_overview": ROLE_RANK[Role(role)] >= ROLE_RANK[Role.MEMBER],
        "actions": recent_actions(),
    }


def homes_fragments(change: Change, params: Mapping[str, str]) -> list[Fragment]:
    """Every part of the homes page, after any structure change (they are few, and a moved
    device changes a home's count as much as a renamed room does)."""
    from devices.fragments import Fragment

    context = page_context(params.get("role") or Role.GUEST)
    shown = {entry.account.pk for entry in context["accounts"]}
    gone = LinkedAccount.objects.filter(status=LinkStatus.UNLINKED).exclude(pk__in=shown)
    fragments = [
        Fragment(f"homes-account-{pk}", "sections", "", None)
        for pk in gone.values_list("pk", flat=True)
    ]
    for entry in context["accounts"]:
        html = render_to_string("homes/_account.html", {**context, "entry": entry})
        fragments.append(Fragment(entry.key, "sections", entry.order, html))
    empty = render_to_string("homes/_empty.html", context) if not shown else None
    fragments.append(Fragment("homes-empty", "sections", "0", empty))
    activity = render_to_string("homes/_activity.html", context)
    fragments.append(Fragment("homes-activity", "sections", "9", activity))
    return fragments
