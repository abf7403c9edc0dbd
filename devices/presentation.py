"""What the dashboard page shows: homes → rooms → cards, each card drawn by its plugin."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet
from django.template import Context, Engine, NodeList, Template
from django.template.loader import render_to_string
from django.template.loader_tags import BlockNode
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.models import LinkStatus
from dashboard.when import in_words, today_in, zone_named
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
    return format_html(
        '{} <time class="card__updated" datetime="{}">updated {}</time>',
        badge,
        last_update.astimezone(zone).isoformat(timespec="seconds"),
        in_words(last_update, relative=False, zone=zone),
    )


_ONLINE = mark_safe('<span class="badge badge--online">Online</span>')
_OFFLINE = mark_safe('<span class="badge badge--offline">Offline</span>')


BODY_CACHE_SIZE = 4096
_BODIES: dict[tuple[Any, ...], str] = {}
_BLANK_LINES = re.compile(r"\s*\n\s*")


def _render_body(template_name: str, state: dict[str, Any], plugin: DevicePlugin) -> str:
    """Only the card template's `body` block, rendered from `state` and the plugin.

    The block is rendered by itself rather than through `{% extends %}`, whose bookkeeping
    costs three times the body on the worker's hot path (the approach of django-render-block).
    """
    template = Engine.get_default().get_template(template_name)
    nodelist = _body_block(template)
    if nodelist is None:
        return ""
    context = Context({"state": state, "plugin": plugin}, autoescape=True)
    with context.render_context.push_state(template), context.bind_template(template):
        html = nodelist.render(context).strip()
    # Template indentation is most of a body's bytes; a newline renders as the same space.
    return mark_safe(_BLANK_LINES.sub("\n", html))  # noqa: S308 (autoescaped template output)


@lru_cache(maxsize=256)
def _body_block(template: Template) -> NodeList | None:
    """The nodes of the template's own `{% block body %}`, None if it has none."""
    for node in template.nodelist.get_nodes_by_type(BlockNode):
        if isinstance(node, BlockNode) and node.name == "body":
            nodelist: NodeList = node.nodelist
            return nodelist
    return None


@dataclass
class RoomSection:
    room: Room | None
    cards: list[Card] = field(default_factory=list)
    home_id: int | None = None

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
        return sum(len(room.cards) for room in self.rooms)


def _order_key(index: int, name: str, pk: int) -> str:
    """A string that sorts like (index, name, pk) does (the page compares them as strings)."""
    return f"{index + 2**31:010d}\t{name}\t{pk:010d}"


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
    return _split_shared(list(visible_things()))[0]


def _split_shared(things: list[Thing]) -> tuple[list[Thing], list[tuple[Thing, Thing]]]:
    """(things to show, [(a shared copy, the owner's thing)] of copies not shown)."""
    owned = {t.cloud_id: t for t in things if t.item_type == 1}
    shown = [t for t in things if not (t.item_type == 2 and t.cloud_id in owned)]
    copies = [(t, owned[t.cloud_id]) for t in things if t.item_type == 2 and t.cloud_id in owned]
    return shown, copies


def dashboard_sections(room_id: int | None = None) -> list[HomeSection]:
    """Homes in order, each with its rooms in order and the cards of each room."""
    things, copies = _split_shared(list(visible_things()))
    if room_id is not None:
        things = [t for t in things if t.room_id == room_id]
    homes: dict[int | None, HomeSection] = {}
    rooms: dict[tuple[int | None, int | None], RoomSection] = {}
    homes_qs = Home.objects.exclude(account__status=LinkStatus.UNLINKED)
    homes_qs = homes_qs.select_related("account").prefetch_related("rooms")
    for home in homes_qs.order_by("account__label", "index", "name"):
        homes[home.pk] = HomeSection(home)
        for room in home.rooms.all():
            section = rooms[(home.pk, room.pk)] = RoomSection(room, home_id=home.pk)
            homes[home.pk].rooms.append(section)
    for thing in things:
        home_section = homes.setdefault(thing.home_id, HomeSection(thing.home))
        key = (thing.home_id, thing.room_id)
        if key not in rooms:
            rooms[key] = RoomSection(thing.room, home_id=thing.home_id)
            home_section.rooms.append(rooms[key])
        rooms[key].cards.append(card_for(thing))
    for copy, owner in copies:
        if copy.home_id in homes:
            homes[copy.home_id].shown_elsewhere.append(owner)
    for home_section in homes.values():
        home_section.rooms = [r for r in home_section.rooms if r.cards or room_id is None]
    return [s for s in homes.values() if s.card_count or (room_id is None and s.home)]
