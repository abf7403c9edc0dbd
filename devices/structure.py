"""Structure changes: things, rooms and homes that came, went, were renamed or moved.

Whoever changes the household's layout (a sync, a rename on a thing page, an unlink)
collects the rows concerned in a `StructureChange` and calls `announce` inside its
transaction. That bumps the household's structure version (a page whose version is behind
redraws its sections) and, once the transaction commits, puts a typed `structure` event on
the household's group, where each open page's consumer redraws what it shows of those rows.
devices never imports realtime: the event travels by the accounts signal that realtime
relays (its type is checked statically, and at runtime by `realtime.events.checked`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import F
from django_scopes import scopes_disabled

from accounts.models import Household
from accounts.signals import household_event

if TYPE_CHECKING:
    from devices.models import Thing
    from realtime.events import StructureEvent

# Thing fields whose change alters what a page draws beyond the state of its card.
STRUCTURE_FIELDS = frozenset(
    {"name", "home", "home_id", "room", "room_id", "index", "tags", "extra", "hidden",
     "uiid", "item_type", "kind"}
)  # fmt: skip


@dataclass
class StructureChange:
    """Ids of the rows concerned; for a moved or removed thing, where it was as well."""

    things: set[int] = field(default_factory=set)
    rooms: set[int] = field(default_factory=set)
    homes: set[int] = field(default_factory=set)
    accounts: set[int] = field(default_factory=set)  # whose live workers must reload things

    def __bool__(self) -> bool:
        return bool(self.things or self.rooms or self.homes)

    def thing(self, thing: Thing, *, was: tuple[int | None, int | None] | None = None) -> None:
        """`thing` was added, changed or removed; `was` is its (home, room) before."""
        self.things.add(thing.pk)
        self.accounts.add(thing.account_id)
        for home_id, room_id in ((thing.home_id, thing.room_id), was or (None, None)):
            if room_id is not None:
                self.rooms.add(room_id)
            elif home_id is not None:
                self.homes.add(home_id)  # the home's "No room" part: redraw the home


def announce(household_id: int, change: StructureChange) -> int:
    """Bump the structure version and tell the household's pages; returns the new version.

    Call inside the transaction that made the change: the event leaves on commit.
    """
    if not change:
        return structure_version(household_id)
    with scopes_disabled():
        Household.objects.filter(pk=household_id).update(
            structure_version=F("structure_version") + 1
        )
        version = structure_version(household_id)
    event: StructureEvent = {
        "type": "structure",
        "version": version,
        "things": sorted(change.things),
        "rooms": sorted(change.rooms),
        "homes": sorted(change.homes),
        "accounts": sorted(change.accounts),
    }
    household_event.send(sender=StructureChange, household_id=household_id, payload=event)
    return version


def structure_version(household_id: int) -> int:
    with scopes_disabled():
        version: int = Household.objects.values_list("structure_version", flat=True).get(
            pk=household_id
        )
    return version
