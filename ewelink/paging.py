"""Iterators over everything the cloud hands out in pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

from ewelink.limits import MAX_PAGE
from ewelink.models import HistoryEntry, Message, Thing

if TYPE_CHECKING:
    from .client import EWeLinkClient

T = TypeVar("T")


async def iter_things(client: EWeLinkClient, *, page_size: int = 0) -> AsyncIterator[Thing]:
    """Every thing of every home: own devices, shared devices and groups, each once.

    The thing list covers one home at a time, so this walks ``/v2/family``. ``page_size=0``
    asks for whole homes in one call each; a positive size pages with ``beginIndex``.
    """
    seen: set[tuple[bool, str]] = set()
    homes = await client.get_homes()
    for home in homes.homes:
        async for thing in _things_of_home(client, home.id, page_size):
            key = (thing.is_group, thing.id)
            if key not in seen:  # a thing can appear in several homes' lists
                seen.add(key)
                yield thing


async def _things_of_home(
    client: EWeLinkClient, familyid: str, page_size: int
) -> AsyncIterator[Thing]:
    if page_size <= 0:
        page = await client.get_things(familyid=familyid, num=0)
        for thing in page.things:
            yield thing
        return
    begin: int | None = None
    fetched = 0
    while True:
        page = await client.get_things(familyid=familyid, num=page_size, begin_index=begin)
        for thing in page.things:
            yield thing
        fetched += len(page.things)
        if len(page.things) < page_size or fetched >= page.total or not page.things:
            return
        begin = max(thing.index for thing in page.things) + 1


async def iter_history(
    client: EWeLinkClient, deviceid: str, *, page_size: int = MAX_PAGE
) -> AsyncIterator[HistoryEntry]:
    """Every history entry of a device, newest first."""

    async def fetch(from_ms: int | None) -> list[HistoryEntry]:
        return await client.get_history(deviceid, from_ms=from_ms, num=page_size)

    async for entry in _walk_back(
        fetch, page_size, lambda e: e.ops_time, lambda e: repr(sorted(e.raw.items()))
    ):
        yield entry


async def iter_messages(
    client: EWeLinkClient, *, familyid: str | None = None, page_size: int = MAX_PAGE
) -> AsyncIterator[Message]:
    """Every message of a home (the current one by default), newest first."""

    async def fetch(from_ms: int | None) -> list[Message]:
        return await client.get_messages(familyid=familyid, from_ms=from_ms, num=page_size)

    async for message in _walk_back(
        fetch, page_size, lambda m: m.date, lambda m: m.msgid or repr(sorted(m.raw.items()))
    ):
        yield message


async def _walk_back(
    fetch: Callable[[int | None], Awaitable[list[T]]],
    page_size: int,
    stamp: Callable[[T], int],
    identity: Callable[[T], Hashable],
) -> AsyncIterator[T]:
    """Page backwards in time with ``from``, skipping items a later page returns again.

    Whether ``from`` itself is included is not documented, so the next page starts one ms
    after the oldest item seen (catching same-ms siblings either way). Items are matched by
    (time, identity) with counts, so two identical entries in one ms both come out once. A
    page that brings nothing new steps the cursor back one ms at a time, so the walk ends.
    """
    yielded: Counter[tuple[int, Hashable]] = Counter()
    cursor: int | None = None
    while True:
        page = await fetch(cursor)
        in_page: Counter[tuple[int, Hashable]] = Counter()
        fresh = 0
        for item in page:
            key = (stamp(item), identity(item))
            in_page[key] += 1
            if in_page[key] <= yielded[key]:
                continue  # already handed out from the previous page
            yielded[key] += 1
            fresh += 1
            yield item
        if len(page) < page_size or not page:
            return
        oldest = min(stamp(item) for item in page)
        # Only the boundary can come back; forget the rest so memory stays one page.
        yielded = Counter({key: n for key, n in yielded.items() if key[0] >= oldest})
        if fresh:
            cursor = oldest + 1
        elif cursor is not None:
            cursor -= 1
