"""What the dashboard page shows: homes → rooms → cards, each card drawn by its plugin."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlencode

from django.db.models import Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTransform
from django.template import Context, Engine, NodeList, Template
from django.template.loader import render_to_string
from django.template.loader_tags import BlockNode
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.models import LinkStatus
from dashboard.when import in_words, today_in, zone_named
from devices import card_cache
from devices.group_members import NAMES_ANNOTATION
from devices.models import Home, Room, Thing
from devices.plugins.base import Control, DevicePlugin
from devices.plugins.registry import default_registry

CARD_BASE = "devices/cards/_card.html"
# Cards drawn with the dashboard (whole rooms, in page order, until this many are); later
# rooms arrive as they scroll into view. Two or three screens: the page is usable at once.
EAGER_CARDS = 48


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
            "body_html": card_body(self.plugin, self.state),
            "status_html": card_status(self.thing.online, self.thing.last_update),
        }
        return render_to_string(self.plugin.card_template, context)


def card_body(plugin: DevicePlugin, state: dict[str, Any], tz: tzinfo | str | None = None) -> str:
    """The card's body (readings, status, alert styling) as HTML: the one place it is drawn.

    The page puts it inside the card; the realtime worker sends it with each thing event, so
    a live change looks exactly like a reload. Many things share a few states (a door is open
    or closed), so renders are cached by template and state (for the life of the process: a
    template edited in development shows after a restart). The plugin's declaration (its
    readings) and times in words, in zone ``tz`` (a name; default the current zone) as of
    today, are drawn too, so they are in the key.
    """
    zone = zone_named(tz) if isinstance(tz, str) else tz or timezone.get_current_timezone()
    state_key = json.dumps(state, sort_keys=True, default=str)
    key = (plugin.card_template, type(plugin), plugin.uiid, str(zone), today_in(zone), state_key)
    html = _BODIES.get(key)
    if html is None:
        if len(_BODIES) >= BODY_CACHE_SIZE:  # chatty meters fill it with one-off states
            _BODIES.clear()
        if zone is timezone.get_current_timezone():  # the usual case: nothing to switch
            html = _BODIES[key] = _render_body(plugin.card_template, state, plugin)
        else:  # a switch costs a fifth of a body's render on the worker's hot path
            with timezone.override(zone):
                html = _BODIES[key] = _render_body(plugin.card_template, state, plugin)
    return html


def card_status(online: bool, last_update: datetime | None, tz: tzinfo | str | None = None) -> str:
    """The card header's online badge and last update, as HTML (the page and live events).

    In absolute words ("today 14:02"), in `tz` (default: the current zone): a page keeps it
    without ticking, and it stays true all day.
    """
    badge = _ONLINE if online else _OFFLINE
    if last_update is None:
        return mark_safe(f'{badge} <span class="card__updated">Never updated</span>')  # noqa: S308
    zone = zone_named(tz) if isinstance(tz, str) else tz or timezone.get_current_timezone()
    # The worker draws one per event, and the events of one second share it: keyed by what
    # the words show (the second, the zone's today), it is formatted once, not per event.
    key = (online, int(last_update.timestamp()), zone, today_in(zone))
    html = _STATUSES.get(key)
    if html is None:
        if len(_STATUSES) >= STATUS_CACHE_SIZE:
            _STATUSES.clear()
        html = _STATUSES[key] = format_html(
            '{} <time class="card__updated" datetime="{}">updated {}</time>',
            badge,
            last_update.astimezone(zone).isoformat(timespec="seconds"),
            in_words(last_update, relative=False, zone=zone),
        )
    return html


_ONLINE = mark_safe('<span class="badge badge--online">Online</span>')
_OFFLINE = mark_safe('<span class="badge badge--offline">Offline</span>')


BODY_CACHE_SIZE = 4096
STATUS_CACHE_SIZE = 1024
_STATUSES: dict[tuple[Any, ...], str] = {}
_BODIES: dict[tuple[Any, ...], str] = {}


class _TemplateState(dict):  # type: ignore[type-arg]
    """A card's state as its template reads it: a key the device never reported
    (`{% if state.heating %}` on a plain sensor) is looked up without listing dict's methods.

    Django's failed lookup falls back to an attribute and then calls `dir()` on the dict to
    tell a failing property from a missing name; a dict has no properties, so that answer
    is always "missing", and here it comes at once. That `dir()` was a third of a card
    body's render on the worker's hot path (65 → 42 µs, uiid 1770).
    """

    def __dir__(self) -> list[str]:
        return []


def _render_body(template_name: str, state: dict[str, Any], plugin: DevicePlugin) -> str:
    """Only the card template's `body` block, rendered from `state` and the plugin.

    The block is rendered by itself rather than through `{% extends %}`, whose bookkeeping
    costs three times the body on the worker's hot path (the approach of django-render-block).
    """
    template = Engine.get_default().get_template(template_name)
    nodelist = _body_block(template)
    if nodelist is None:
        return ""
    context = Context({"state": _TemplateState(state), "plugin": plugin}, autoescape=True)
    with context.render_context.push_state(template), context.bind_template(template):
        html = nodelist.render(context).strip()
    # Template indentation is most of a body's bytes; a newline renders as the same space.
    return mark_safe(without_blank_lines(html))  # noqa: S308 (autoescaped template output)


def without_blank_lines(html: str) -> str:
    """Each run of whitespace that holds a line break, as one line break: what the regex
    substitution of `\\s*\\n\\s*` by a line break gives for a stripped text, in a third of
    its time (the worker draws a body per event)."""
    return "\n".join(filter(None, (line.strip() for line in html.split("\n"))))


@lru_cache(maxsize=256)
def _body_block(template: Template) -> NodeList | None:
    """The nodes of the template's own `{% block body %}`, None if it has none."""
    for node in template.nodelist.get_nodes_by_type(BlockNode):
        if isinstance(node, BlockNode) and node.name == "body":
            nodelist: NodeList = node.nodelist
            return nodelist
    return None


class PageCard:
    """A card of the dashboard page: its HTML from the card cache, drawn only on a miss."""

    def __init__(self, thing: Thing, plugin: DevicePlugin, renderer: CardRenderer) -> None:
        self.thing = thing
        self.plugin = plugin
        self._renderer = renderer

    def render(self) -> str:
        return self._renderer.render(self.thing, self.plugin)


class CardRenderer:
    """Draws one page's cards: cached parts around a freshly drawn status line (its words
    say "today" or "yesterday", which a cached card would keep past midnight).

    One per page (its template context is reused from card to card, never shared by threads).
    """

    def __init__(self) -> None:
        template = Engine.get_default().get_template(CARD_BASE)
        self._updated = _block_nodes(template, "updated")
        self._context = Context(autoescape=True)
        self._context.template = template  # as Template.render binds it, for nested tags
        self._tz = timezone.get_current_timezone_name()

    def render(self, thing: Thing, plugin: DevicePlugin) -> str:
        if self._updated is None:  # a card template without the block: nothing to cut
            return card_for(thing, plugin).render()
        key = card_cache.card_key(thing, plugin, self._tz)
        parts = card_cache.cards.get(key)
        updated = self._updated_html(thing)
        if parts is None:
            html = card_for(thing, plugin).render()
            before, found, after = html.partition(updated)
            if not found or updated in after:  # the time is not where the block says
                return html
            parts = card_cache.CardParts(before, after)
            card_cache.cards.put(key, parts)
        return mark_safe(parts.before + updated + parts.after)  # noqa: S308 (rendered templates)

    def _updated_html(self, thing: Thing) -> str:
        assert self._updated is not None
        status = card_status(thing.online, thing.last_update)
        with self._context.push(thing=thing, status_html=status):
            return self._updated.render(self._context)


def clear_caches() -> None:
    """Forget every rendered card and body (tests and benchmarks start cold with it)."""
    card_cache.cards.clear()
    _BODIES.clear()


def _block_nodes(template: Template, name: str) -> NodeList | None:
    """The nodes of the template's own `{% block name %}`, None if it has none."""
    for node in template.nodelist.get_nodes_by_type(BlockNode):
        if isinstance(node, BlockNode) and node.name == name:
            nodelist: NodeList = node.nodelist
            return nodelist
    return None


class ThingRow(NamedTuple):
    """Where a thing goes on the page: enough to lay out rooms without loading the thing."""

    pk: int
    home_id: int | None
    room_id: int | None
    item_type: int
    cloud_id: str


@dataclass
class RoomSection:
    """A room of the page: its cards, or (`lazy`) only how many it has, drawn as it scrolls
    into view by the `dashboard:room_cards` fragment."""

    room: Room | None
    home_id: int | None = None
    rows: list[ThingRow] = field(default_factory=list)
    cards: list[PageCard] = field(default_factory=list)
    lazy: bool = False

    @property
    def name(self) -> str:
        return self.room.name if self.room else "No room"

    @property
    def key(self) -> str:
        """Its data-fragment: what a live fragment of it replaces."""
        return f"room-{self.room.pk}" if self.room else f"room-{self.home_id or 'none'}-none"

    @property
    def order(self) -> str:
        """Rooms sort as the query orders them (index, name, pk); "No room" last."""
        if self.room is None:
            return "2"
        return "1" + _order_key(self.room.index, self.room.name, self.room.pk)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def cards_query(self) -> str:
        """The query string of this room's fragment (an empty id: no home or no room)."""
        room_id = self.room.pk if self.room else ""
        return urlencode({"home": self.home_id or "", "room": room_id})

    @property
    def page_query(self) -> str:
        """The page with this room's cards, for a browser without scripts."""
        return urlencode({"room": self.room.pk} if self.room else {"all": 1})


@dataclass
class HomeSection:
    home: Home | None
    rooms: list[RoomSection] = field(default_factory=list)
    # Things of this home shared with its account but owned by another linked account of
    # the household: their card is the owner's, shown once, in the owner's home.
    shown_elsewhere: list[Thing] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.home.name if self.home else "Other things"

    @property
    def key(self) -> str:
        return f"home-{self.home.pk}" if self.home else "home-none"

    @property
    def order(self) -> str:
        """Homes sort by account label, index, name; "Other things" last."""
        if self.home is None:
            return "2"
        home = self.home
        return f"1{home.account.label}\t{_order_key(home.index, home.name, home.pk)}"

    @property
    def card_count(self) -> int:
        return sum(room.count for room in self.rooms)


def _order_key(index: int, name: str, pk: int) -> str:
    """A string that sorts like (index, name, pk) does (the page compares them as strings)."""
    return f"{index + 2**31:010d}\t{name}\t{pk:010d}"


def plugin_for(thing: Thing) -> DevicePlugin:
    return default_registry.plugin_for(thing.uiid, thing.params, item_type=thing.item_type)


def card_for(thing: Thing, plugin: DevicePlugin | None = None) -> Card:
    plugin = plugin or plugin_for(thing)
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
    # Nothing shown reads the big settings and extra: not loading them saves a JSON decode each.
    # A group card's member names come along in the same query (None for a device).
    names = KeyTransform("member_names", "extra")
    return things.defer("settings", "extra").annotate(**{NAMES_ANNOTATION: names})


def shown_things() -> list[Thing]:
    """What the dashboard shows: a device both owned by one linked account and shared with
    another linked account of the same household appears once, as the owner's.

    Without their homes and rooms: the page socket's snapshot, which reads this for every
    thing on each connect, needs neither (a third of its time went into building them).
    """
    return _split_shared(list(visible_things()))[0]


class _Placed(Protocol):
    @property
    def item_type(self) -> int: ...
    @property
    def cloud_id(self) -> str: ...


PlacedT = TypeVar("PlacedT", bound=_Placed)


def _split_shared(things: list[PlacedT]) -> tuple[list[PlacedT], list[tuple[PlacedT, PlacedT]]]:
    """(things to show, [(a shared copy, the owner's thing)] of copies not shown)."""
    owned = {t.cloud_id: t for t in things if t.item_type == 1}
    shown = [t for t in things if not (t.item_type == 2 and t.cloud_id in owned)]
    copies = [(t, owned[t.cloud_id]) for t in things if t.item_type == 2 and t.cloud_id in owned]
    return shown, copies


def dashboard_sections(
    room_id: int | None = None, eager_cards: int | None = EAGER_CARDS
) -> list[HomeSection]:
    """Homes in order, each with its rooms in order and the cards of each room.

    Rooms are drawn with the page until `eager_cards` cards are (None: all of them); the
    later ones are `lazy`. The layout comes from a light query of ids; only the things drawn
    are loaded whole, so the page costs the same whatever the size of the household.
    """
    fields = ("pk", "home_id", "room_id", "item_type", "cloud_id")
    rows = [ThingRow(*values) for values in visible_things().values_list(*fields)]
    rows, copies = _split_shared(rows)
    if room_id is not None:
        rows = [r for r in rows if r.room_id == room_id]
    homes: dict[int | None, HomeSection] = {}
    rooms: dict[tuple[int | None, int | None], RoomSection] = {}
    homes_qs = Home.objects.exclude(account__status=LinkStatus.UNLINKED)
    homes_qs = homes_qs.select_related("account").prefetch_related("rooms")
    for home in homes_qs.order_by("account__label", "index", "name"):
        homes[home.pk] = HomeSection(home)
        for room in home.rooms.all():
            section = rooms[(home.pk, room.pk)] = RoomSection(room, home.pk)
            homes[home.pk].rooms.append(section)
    _place_rows(rows, homes, rooms)
    for home_section in homes.values():
        home_section.rooms = [r for r in home_section.rooms if r.count or room_id is None]
    sections = [s for s in homes.values() if s.card_count or (room_id is None and s.home)]
    _draw_cards(sections, copies, homes, eager_cards)
    return sections


def _place_rows(
    rows: list[ThingRow],
    homes: dict[int | None, HomeSection],
    rooms: dict[tuple[int | None, int | None], RoomSection],
) -> None:
    """Each row into its room's section; homes and rooms the page did not list (a thing placed
    in another account's home or room, or in none) get sections of their own, in row order."""
    unknown_homes = {r.home_id for r in rows if r.home_id is not None and r.home_id not in homes}
    unknown_rooms = {r.room_id for r in rows if r.room_id and (r.home_id, r.room_id) not in rooms}
    extra_homes = Home.objects.in_bulk(unknown_homes) if unknown_homes else {}
    extra_rooms = Room.objects.in_bulk(unknown_rooms) if unknown_rooms else {}
    for row in rows:
        if row.home_id not in homes:
            homes[row.home_id] = HomeSection(extra_homes.get(row.home_id or 0))
        key = (row.home_id, row.room_id)
        if key not in rooms:
            rooms[key] = RoomSection(extra_rooms.get(row.room_id or 0), row.home_id)
            homes[row.home_id].rooms.append(rooms[key])
        rooms[key].rows.append(row)


def _draw_cards(
    sections: list[HomeSection],
    copies: list[tuple[ThingRow, ThingRow]],
    homes: dict[int | None, HomeSection],
    eager_cards: int | None,
) -> None:
    """Load the things of the rooms drawn now (and owners of hidden shared copies), in one
    query, and give those rooms their cards; mark the others lazy."""
    drawn: list[RoomSection] = []
    count = 0
    for room in (room for home in sections for room in home.rooms if room.count):
        if eager_cards is not None and count >= eager_cards:
            room.lazy = True
        else:
            drawn.append(room)
            count += room.count
    owners = [(copy, owner) for copy, owner in copies if copy.home_id in homes]
    wanted = [row.pk for room in drawn for row in room.rows] + [o.pk for _c, o in owners]
    things = visible_things().select_related("home", "room").in_bulk(wanted) if wanted else {}
    renderer = CardRenderer()
    for room in drawn:
        shown = [things[row.pk] for row in room.rows if row.pk in things]  # unless just deleted
        room.cards = [PageCard(thing, plugin_for(thing), renderer) for thing in shown]
    for copy, owner in owners:
        if owner.pk in things:
            homes[copy.home_id].shown_elsewhere.append(things[owner.pk])


def room_cards(home_id: int | None, room_id: int | None) -> list[PageCard]:
    """The cards of one room section (no room: `room_id` None; no home: `home_id` None) as
    `dashboard_sections` lays them out, for the fragment a lazy room loads."""
    owned = visible_things().filter(item_type=1).values("cloud_id")
    place = Q(home__isnull=True) if home_id is None else Q(home_id=home_id)
    place &= Q(room__isnull=True) if room_id is None else Q(room_id=room_id)
    things = visible_things().select_related("home", "room").filter(place)
    things = things.exclude(item_type=2, cloud_id__in=Subquery(owned))
    renderer = CardRenderer()
    return [PageCard(thing, plugin_for(thing), renderer) for thing in things]
