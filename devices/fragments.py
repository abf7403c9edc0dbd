"""Live fragments: the pieces of a page the server draws afresh when the layout changed.

A `structure` event names the things, rooms and homes concerned; the consumer of each open
page asks that page's view here for its fragments and sends them as they are. The dashboard
redraws whole room sections (a room's cards, its title) and whole home sections when a home
or its roomless part changed; a later page (a thing page) registers its own view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django_scopes import scope

from accounts.models import ROLE_RANK, LinkStatus, Role
from devices.groups import groups_fragments
from devices.homes_page import homes_fragments
from devices.models import Room
from devices.presentation import HomeSection, RoomSection, dashboard_sections, room_cards
from devices.thing_page import thing_fragments


@dataclass(frozen=True)
class Fragment:
    key: str  # data-fragment of the element
    parent: str  # data-fragment of its container
    order: str  # its place among its siblings
    html: str | None  # None: it is gone from the page


@dataclass(frozen=True)
class Change:
    """What a structure event names."""

    things: frozenset[int]
    rooms: frozenset[int]
    homes: frozenset[int]

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Change:
        def ids(name: str) -> frozenset[int]:
            return frozenset(i for i in event.get(name) or () if isinstance(i, int))

        return cls(ids("things"), ids("rooms"), ids("homes"))


View = Callable[[Change, Mapping[str, str]], list[Fragment]]


def dashboard_fragments(change: Change, params: Mapping[str, str]) -> list[Fragment]:
    """Home and room sections of the dashboard (filtered to one room if the page is)."""
    raw_room = params.get("room", "")
    room_id = int(raw_room) if raw_room.isdigit() else None
    extra = {"may_control": _may_control(params.get("role", ""))}  # the All on/off buttons
    # The layout only (every room lazy); the rooms sent get their cards below.
    sections = dashboard_sections(room_id, eager_cards=0)
    shown_homes = {_home_pk(s): s for s in sections}
    shown_rooms = {r.room.pk: (s, r) for s in sections for r in s.rooms if r.room is not None}
    fragments: list[Fragment] = []
    redrawn: set[int | None] = set()
    for home_id in sorted(change.homes):
        section = shown_homes.get(home_id)
        fragments.append(_home(section, extra) if section else _gone(f"home-{home_id}", "sections"))
        redrawn.add(home_id)
    for room_pk in sorted(change.rooms):
        shown = shown_rooms.get(room_pk)
        if shown is None:
            fragments.append(_gone(f"room-{room_pk}", "sections"))
            continue
        section, room = shown
        if _home_pk(section) not in redrawn:  # else drawn with its home
            fragments.append(_room(section, room, extra))
    # A home that was not on the page yet (its first room or thing arrived): draw it whole.
    for section in sections:
        if _home_pk(section) not in redrawn and _has_new_part(section, change):
            fragments.append(_home(section, extra))
            redrawn.add(_home_pk(section))
    if None not in shown_homes and change.things:
        fragments.append(_gone("home-none", "sections"))  # its last roomless thing left
    fragments.append(_empty(bool(sections)))
    fragments.append(_room_filter(room_id))
    return fragments


def _home_pk(section: HomeSection) -> int | None:
    return section.home.pk if section.home else None


def _has_new_part(section: HomeSection, change: Change) -> bool:
    """Whether the section holds a room or thing the change names (the page may lack it)."""
    if section.home is None:
        return any(row.pk in change.things for r in section.rooms for row in r.rows)
    return False


def _drawn(room: RoomSection) -> RoomSection:
    """The room with its cards: a redrawn room is one the person is looking at."""
    if room.lazy or not room.cards:
        room.cards = room_cards(room.home_id, room.room.pk if room.room else None)
        room.lazy = False
    return room


def _may_control(role: str) -> bool:
    return role in Role.values and ROLE_RANK[Role(role)] >= ROLE_RANK[Role.MEMBER]


def _home(section: HomeSection, extra: Mapping[str, Any]) -> Fragment:
    for room in section.rooms:
        _drawn(room)
    html = render_to_string("dashboard/_home.html", {"section": section, **extra})
    return Fragment(section.key, "sections", section.order, html)


def _room(section: HomeSection, room: RoomSection, extra: Mapping[str, Any]) -> Fragment:
    context = {"room": _drawn(room), "section": section, **extra}
    html = render_to_string("dashboard/_room.html", context)
    return Fragment(room.key, section.key, room.order, html)


def _gone(key: str, parent: str) -> Fragment:
    return Fragment(key, parent, "", None)


def _empty(has_sections: bool) -> Fragment:
    if has_sections:
        return _gone("empty", "sections")
    from accounts.models import LinkedAccount

    has_accounts = LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED).exists()
    html = render_to_string("dashboard/_empty.html", {"has_accounts": has_accounts})
    return Fragment("empty", "sections", "", html)


def _room_filter(selected: int | None) -> Fragment:
    html = render_to_string(
        "dashboard/_room_filter.html",
        {"room_choices": room_choices(), "selected_room": selected},
    )
    return Fragment("room-filter", "", "", html)


def room_choices() -> list[Room]:
    rooms = Room.objects.exclude(home__account__status=LinkStatus.UNLINKED)
    rooms = rooms.select_related("home__account")  # the Move select names each home's account
    return list(rooms.order_by("home__name", "home__pk", "index"))


VIEWS: dict[str, View] = {
    "dashboard": dashboard_fragments,
    "thing": thing_fragments,
    "homes": homes_fragments,
    "groups": groups_fragments,
}


def fragments_for(
    household_id: int, view: str, event: Mapping[str, Any], params: Mapping[str, str]
) -> list[Fragment]:
    """The fragments page `view` must redraw after `event`; none for an unknown view."""
    draw = VIEWS.get(view)
    if draw is None:
        return []
    with scope(household=household_id):
        return draw(Change.of(event), params)
