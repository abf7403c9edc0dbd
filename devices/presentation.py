"""What the dashboard page shows: homes → rooms → cards, each card drawn by its plugin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string

from accounts.models import LinkStatus
from devices.models import Home, Room, Thing
from devices.plugins.base import Control, DevicePlugin
from devices.plugins.registry import default_registry


@dataclass
class Card:
    """One thing with what its plugin makes of it."""

    thing: Thing
    plugin: DevicePlugin
    state: dict[str, Any]
    controls: list[Control]

    def render(self) -> str:
        context = {
            "thing": self.thing,
            "plugin": self.plugin,
            "state": self.state,
            "controls": self.controls,
        }
        return render_to_string(self.plugin.card_template, context)


@dataclass
class RoomSection:
    room: Room | None
    cards: list[Card] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.room.name if self.room else "No room"


@dataclass
class HomeSection:
    home: Home | None
    rooms: list[RoomSection] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.home.name if self.home else "Other things"

    @property
    def card_count(self) -> int:
        return sum(len(room.cards) for room in self.rooms)


def plugin_for(thing: Thing) -> DevicePlugin:
    return default_registry.plugin_for(thing.uiid, thing.params, item_type=thing.item_type)


def card_for(thing: Thing) -> Card:
    plugin = plugin_for(thing)
    return Card(
        thing,
        plugin,
        plugin.state(thing.params, thing.tags),
        plugin.controls(thing.params, thing.tags),
    )


def visible_things() -> QuerySet[Thing]:
    """The household's things (the scope filters the household), hidden ones and those of
    unlinked accounts (kept for a grace period) left out."""
    things = Thing.objects.filter(hidden=False).exclude(account__status=LinkStatus.UNLINKED)
    return things.select_related("home", "room", "account")


def shown_things() -> list[Thing]:
    """What the dashboard shows: a device both owned by one linked account and shared with
    another linked account of the same household appears once, as the owner's."""
    things = list(visible_things())
    owned = {t.cloud_id for t in things if t.item_type == 1}
    return [t for t in things if not (t.item_type == 2 and t.cloud_id in owned)]


def dashboard_sections(room_id: int | None = None) -> list[HomeSection]:
    """Homes in order, each with its rooms in order and the cards of each room."""
    things = shown_things()
    if room_id is not None:
        things = [t for t in things if t.room_id == room_id]
    homes: dict[int | None, HomeSection] = {}
    rooms: dict[tuple[int | None, int | None], RoomSection] = {}
    homes_qs = Home.objects.exclude(account__status=LinkStatus.UNLINKED)
    homes_qs = homes_qs.select_related("account").prefetch_related("rooms")
    for home in homes_qs.order_by("account__label", "index", "name"):
        homes[home.pk] = HomeSection(home)
        for room in home.rooms.all():
            section = rooms[(home.pk, room.pk)] = RoomSection(room)
            homes[home.pk].rooms.append(section)
    for thing in things:
        home_section = homes.setdefault(thing.home_id, HomeSection(thing.home))
        key = (thing.home_id, thing.room_id)
        if key not in rooms:
            rooms[key] = RoomSection(thing.room)
            home_section.rooms.append(rooms[key])
        rooms[key].cards.append(card_for(thing))
    for section in homes.values():
        section.rooms = [r for r in section.rooms if r.cards or room_id is None]
    return [s for s in homes.values() if s.card_count or (room_id is None and s.home)]
