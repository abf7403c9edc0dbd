"""Structure changes: things, rooms and homes that came, went, were renamed or moved.

Whoever changes the layout of things (a sync, a rename on a thing page) collects the rows
concerned in a `StructureChange` and calls `announce` inside its transaction; the version
and the event are `accounts.layout`'s (the household's). devices never imports realtime:
the event travels by the accounts signal that realtime relays (its type is checked
statically, and at runtime by `realtime.events.checked`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accounts import layout
from accounts.layout import structure_version

if TYPE_CHECKING:
    from devices.models import Thing

__all__ = ["STRUCTURE_FIELDS", "StructureChange", "announce", "structure_version"]

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
    """Tell the household's pages (on commit) and bump its version; returns the version.

    Call inside the transaction that made the change.
    """
    if not change:
        return structure_version(household_id)
    return layout.announce(
        household_id,
        things=change.things,
        rooms=change.rooms,
        homes=change.homes,
        accounts=change.accounts,
    )
