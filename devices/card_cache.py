"""Rendered dashboard cards, kept in this process's memory and keyed by what they show.

A card is drawn from its thing's name, room, online flag, last update, params and tags (its
plugin turns those into state and controls), a group's member names, and the plugin itself,
so the key is a digest of exactly those: any change gives a new key and the old entry simply
ages out of the LRU. There is nothing to invalidate and no way to serve a card older than
its thing.

The header's time ("3 minutes ago") also changes with the clock, so it is not kept: an entry
is the card's HTML before and after that element, and each page draws it anew from the card
template's `updated` block.

Process memory rather than Django's cache (Redis): a page reads a few thousand entries,
which costs microseconds here and a megabyte through the network and pickle there; and a
deploy, which may change templates, starts with an empty cache instead of old markup.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, NamedTuple

from devices.group_members import member_names

if TYPE_CHECKING:
    from devices.models import Thing
    from devices.plugins.base import DevicePlugin

MAX_CARDS = 20_000  # ~1 KB each: a few busy households' pages, some tens of MB at most


class CardParts(NamedTuple):
    """A rendered card cut around its time element."""

    before: str
    after: str


def card_key(thing: Thing, plugin: DevicePlugin, tz: str) -> bytes:
    """A digest of everything the card shows, apart from how long ago its update was.

    `tz`: the time zone the page is drawn in, should a card show a time of day.
    """
    plugin_type = type(plugin)
    room = thing.room.name if thing.room_id is not None and thing.room else None
    shown = (
        thing.pk,
        thing.name,
        thing.room_id,
        room,
        thing.online,
        thing.last_update_at.isoformat() if thing.last_update_at else None,
        thing.uiid,
        thing.item_type,
        f"{plugin_type.__module__}.{plugin_type.__qualname__}",
        plugin.uiid,
        plugin.card_template,
        thing.params,
        thing.tags,
        tz,
        # A group's card lists its members by name: a member joining or leaving redraws it.
        member_names(thing),
    )
    raw = json.dumps(shown, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(raw.encode(), digest_size=16).digest()


class CardCache:
    """A thread-safe LRU of CardParts (Daphne runs sync views on worker threads)."""

    def __init__(self, max_cards: int = MAX_CARDS) -> None:
        self.max_cards = max_cards
        self._cards: OrderedDict[bytes, CardParts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> CardParts | None:
        with self._lock:
            parts = self._cards.get(key)
            if parts is not None:
                self._cards.move_to_end(key)
            return parts

    def put(self, key: bytes, parts: CardParts) -> None:
        with self._lock:
            self._cards[key] = parts
            self._cards.move_to_end(key)
            while len(self._cards) > self.max_cards:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()

    def __len__(self) -> int:
        return len(self._cards)


cards = CardCache()
