"""A household's layout version, and the event that tells its pages what to redraw.

Anything that adds, removes, renames or moves homes, rooms or things (a sync, a rename on a
page, an account unlinked or linked again) calls `announce` inside its transaction. The
household's structure version goes up (a page that is behind redraws its sections) and, on
commit, a typed `structure` event reaches the household's group by the `household_event`
signal that realtime relays; each open page's consumer redraws what it shows of those rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import F
from django_scopes import scopes_disabled

from accounts.models import Household
from accounts.signals import household_event

if TYPE_CHECKING:
    from realtime.events import StructureEvent


def announce(
    household_id: int,
    *,
    things: Iterable[int] = (),
    rooms: Iterable[int] = (),
    homes: Iterable[int] = (),
    accounts: Iterable[int] = (),
) -> int:
    """Bump the structure version and tell the household's pages; returns the new version."""
    with scopes_disabled():
        Household.objects.filter(pk=household_id).update(
            structure_version=F("structure_version") + 1
        )
    version = structure_version(household_id)
    event: StructureEvent = {
        "type": "structure",
        "version": version,
        "things": sorted(set(things)),
        "rooms": sorted(set(rooms)),
        "homes": sorted(set(homes)),
        "accounts": sorted(set(accounts)),
    }
    household_event.send(sender=Household, household_id=household_id, payload=event)
    return version


def structure_version(household_id: int) -> int:
    with scopes_disabled():
        version: int = Household.objects.values_list("structure_version", flat=True).get(
            pk=household_id
        )
    return version


def announce_account(household_id: int, account_id: int) -> int:
    """Every home of an account changed at once (it was unlinked, or linked again)."""
    with scopes_disabled():
        from accounts.models import LinkedAccount

        account = LinkedAccount.objects.get(pk=account_id)
        homes = list(account.homes.values_list("pk", flat=True))  # reverse relation
    return announce(household_id, homes=homes, accounts=[account_id])
