"""The homes page drawn: every live account's homes and rooms, and the recent layout changes.

The page is live (view "homes", devices.account_pages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count

from accounts.models import ROLE_RANK, LinkedAccount, LinkStatus, Role
from devices.account_pages import account_fragments, part_key, part_order
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
        return part_key("homes", self.account.pk)


def account_homes() -> list[AccountHomes]:
    """Every live account of the household with its homes and rooms in order."""
    accounts = LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED).order_by("label", "pk")
    listed = [AccountHomes(a, order=part_order(n)) for n, a in enumerate(accounts)]
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
    context = page_context(params.get("role") or Role.GUEST)
    return account_fragments("homes", context["accounts"], context)
